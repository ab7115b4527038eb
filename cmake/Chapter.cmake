# dockling_chapter(NN topic): declares chapter NN.
#
#   dockling_chNN       library: chapters/NN-topic/*.cpp except main.cpp, plus the exercise
#                       functions from exercises/NN-topic or solutions/NN-topic (the track),
#                       linked to the previous chapter's library.
#   chNN-topic          the chapter's binary (chapters/NN-topic/main.cpp), in <build>/bin.
#   test_chNN           GoogleTest suite from tests/NN-topic/*.cpp, ctest label chNN (+ LABELS).
#
# PACKAGES names pkg-config modules the chapter's library needs (e.g. libnftables); they are
# found with pkg_check_modules and linked PUBLIC, so the later chapters get them too.

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
    pkg_check_modules(ch${nn}_packages REQUIRED IMPORTED_TARGET ${CH_PACKAGES})
    target_link_libraries(${lib} PUBLIC PkgConfig::ch${nn}_packages)
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
    # value ("ch01;root") in its PROPERTIES into separate arguments. A test whose name ends
    # in _Exercise (TEST(Spawn, ReportsTheErrno_Exercise), or .../PARAM for TEST_P) reaches
    # the student's functions: it also gets the label `exercise`. scripts/grade scores only
    # those, one point each; scripts/honesty checks that each fails on the untouched stubs
    # and passes on the solutions. The chapter's other tests still run under its label.
    set(labels_file ${CMAKE_BINARY_DIR}/${test_target}_labels.cmake)
    string(JOIN ";" labels ch${nn} ${CH_LABELS})
    file(WRITE ${labels_file}
      "foreach(test IN LISTS ${test_target}_TESTS)\n"
      "  set(labels \"${labels}\")\n"
      "  if(test MATCHES \"_Exercise(/|\$)\")\n"
      "    list(APPEND labels exercise)\n"
      "  endif()\n"
      "  set_tests_properties(\"\${test}\" PROPERTIES LABELS \"\${labels}\")\n"
      "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
  endif()
endfunction()
