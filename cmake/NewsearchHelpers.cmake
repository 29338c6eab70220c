# Helpers that keep every folder's CMakeLists.txt short and uniform.
#
#   newsearch_cc_library(NAME <target> [HDRS ...] SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
#     One library per folder. DEPS are PUBLIC (they appear in the headers),
#     PRIVATE_DEPS are used only by the sources. Includes are written from the
#     repository root, e.g. "common/base/status_macros.h".
#
#   newsearch_cc_test(NAME <target> SRCS ... DEPS ... [LABELS ...])
#     One GoogleTest binary, registered with ctest through gtest_discover_tests.
#     Tests run from the build tree; NEWSEARCH_SOURCE_DIR is passed in the
#     environment so tests can find tests/testdata. (gtest_discover_tests takes
#     one ENVIRONMENT entry here: a list would be split into properties.)

function(newsearch_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "HDRS;SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS} ${ARG_HDRS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

function(newsearch_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  set(labels ${ARG_LABELS})
  if(NOT labels)
    set(labels unit)
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES
      LABELS "${labels}"
      ENVIRONMENT "NEWSEARCH_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
