# dockling_chapter(NN topic): declares chapter NN.
#
#   dockling_chNN       library: chapters/NN-topic/*.cpp except main.cpp, plus the exercise
#                       functions from exercises/NN-topic or solutions/NN-topic (the track),
#                       linked to the previous chapter's library.
#   chNN-topic          the chapter's binary (chapters/NN-topic/main.cpp), in <build>/bin.
#   test_chNN           GoogleTest suite from tests/NN-topic/*.cpp, ctest label chNN (+ LABELS).
#
# Options: LABELS label... (extra ctest labels); PACKAGES pkg... (pkg-config modules the
# chapter's library links, e.g. PACKAGES libseccomp libcap).

# The previous chapter's library, kept in a global property (not the cache, which would
# survive into the next configure).
set_property(GLOBAL PROPERTY DOCKLING_PREVIOUS_CHAPTER "")

# True when chapter NN builds against exercises/.
function(dockling_uses_exercises nn out)
  string(REPLACE "," ";" wanted "${DOCKLING_EXERCISES}")
  math(EXPR number "${nn}")
  set(result FALSE)
  foreach(item IN LISTS wanted)
    string(STRIP "${item}" item)
    if(item STREQUAL "all")
      set(result TRUE)
    elseif(item MATCHES "^[0-9]+$")
      math(EXPR item_number "${item}")
      if(item_number EQUAL number)
        set(result TRUE)
      endif()
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(dockling_chapter nn topic)
  cmake_parse_arguments(CH "" "" "LABELS;PACKAGES" ${ARGN})
  set(folder ${nn}-${topic})
  set(lib dockling_ch${nn})
  if(NOT EXISTS ${CMAKE_SOURCE_DIR}/chapters/${folder}/main.cpp)
    return()  # a chapter not written yet: the next one links the last one that exists
  endif()

  dockling_uses_exercises(${nn} exercise_track)
  if(exercise_track)
    set(track exercises)
  else()
    set(track solutions)
  endif()
  message(STATUS "chapter ${folder}: ${track}")

  file(GLOB chapter_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/chapters/${folder}/*.cpp)
  list(FILTER chapter_sources EXCLUDE REGEX "/main\\.cpp$")
  file(GLOB track_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${track}/${folder}/*.cpp)

  add_library(${lib} STATIC ${chapter_sources} ${track_sources})
  target_include_directories(${lib} PUBLIC ${CMAKE_SOURCE_DIR}/chapters/${folder})
  target_link_libraries(${lib} PUBLIC dockling_common)
  get_property(previous GLOBAL PROPERTY DOCKLING_PREVIOUS_CHAPTER)
  if(previous)
    target_link_libraries(${lib} PUBLIC ${previous})
  endif()
  set_property(GLOBAL PROPERTY DOCKLING_PREVIOUS_CHAPTER ${lib})
  if(CH_PACKAGES)
    find_package(PkgConfig REQUIRED)
    foreach(package IN LISTS CH_PACKAGES)
      string(MAKE_C_IDENTIFIER "${package}" package_id)
      pkg_check_modules(${package_id} REQUIRED IMPORTED_TARGET ${package})
      target_link_libraries(${lib} PUBLIC PkgConfig::${package_id})
    endforeach()
  endif()

  set(binary ch${nn}-${topic})
  add_executable(${binary} ${CMAKE_SOURCE_DIR}/chapters/${folder}/main.cpp)
  target_link_libraries(${binary} PRIVATE ${lib})

  if(DOCKLING_TESTS AND EXISTS ${CMAKE_SOURCE_DIR}/tests/${folder})
    file(GLOB test_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${folder}/*.cpp)
    set(test_target test_ch${nn})
    add_executable(${test_target} ${test_sources})
    target_link_libraries(${test_target} PRIVATE ${lib} dockling_testing GTest::gtest_main)
    add_dependencies(${test_target} ${binary} probe)
    gtest_discover_tests(${test_target}
      TEST_PREFIX "ch${nn}."
      TEST_LIST ${test_target}_TESTS
      DISCOVERY_TIMEOUT 30
      PROPERTIES FIXTURES_REQUIRED rootfs TIMEOUT 120)
    # Labels are set by a second include file: gtest_discover_tests would split a list
    # value ("ch01;root") in its PROPERTIES into separate arguments.
    set(labels_file ${CMAKE_BINARY_DIR}/${test_target}_labels.cmake)
    file(WRITE ${labels_file}
      "foreach(test IN LISTS ${test_target}_TESTS)\n"
      "  set_tests_properties(\"\${test}\" PROPERTIES LABELS \"ch${nn};${CH_LABELS}\")\n"
      "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
  endif()
endfunction()
