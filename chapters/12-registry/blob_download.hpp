/// @file blob_download.hpp
/// @brief One blob from a registry into chapter 10's store, checked while it streams to a
/// temporary file beside the blobs (BlobVerifier, the chapter's exercise): renamed to
/// blobs/sha256/HEX only when digest and size are the descriptor's, so a blob the registry
/// altered leaves nothing behind.
#pragma once

#include "image_store.hpp"
#include "registry_client.hpp"

namespace dockling::ch12 {

/// Downloads the blob `blob` describes into `store` (call under store.lock()); the stored
/// path is recorded in `changes`. A blob the store has already is not fetched.
/// @throws Error "blob DIGEST of REGISTRY/REPOSITORY: digest mismatch: its content is ACTUAL"
/// (or a size that differs from the descriptor's), nothing stored; RegistryError when the
/// registry refuses it.
void download_blob(RegistryClient& client, ch10::ImageStore& store, const ch10::Descriptor& blob, ch10::Changes& changes);

}  // namespace dockling::ch12
