# Conventions for the project's own targets (never generated or third-party
# code): every build warns; warnings are errors with APPTRUST_WERROR=ON (the
# CI build: scripts/build).
function(apptrust_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # Clang checks the lock annotations (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED):
  # see cmake/Sanitizers.cmake.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(APPTRUST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# apptrust_library(NAME SOURCES ... [LIBS ...] [PUBLIC_LIBS ...])
function(apptrust_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;PUBLIC_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_LIBS})
  apptrust_warnings(${name})
endfunction()

include(GoogleTest)

# apptrust_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s] [SERIAL]
#               [TEST_FILTER gtest-filter])
# Every GoogleTest case is its own CTest test, named "NAME.Suite.Case", so one
# case can be run and seen alone (ctest -R 'decider_test.*Shadow'); labels
# select suites (ctest -L unit, ctest -L integration). Cases are listed when
# ctest runs (PRE_TEST), so building does not run the test binaries. SERIAL
# runs each case alone (RUN_SERIAL). TIMEOUT is per case (default 300 s).
# TEST_FILTER (--gtest_filter syntax) limits the cases registered one by one,
# for cases registered together in one process with add_test.
function(apptrust_test name)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT;TEST_FILTER" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  apptrust_warnings(${name})
  # GCC 12 at -O3 (Release) reports -Wrestrict inside libstdc++'s
  # std::string operator+ as inlined into GoogleTest's protobuf printer: a
  # known false positive (GCC bug 105651, fixed in GCC 13). Off for tests only,
  # and only on the compilers that have the bug.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${name} PRIVATE -Wno-restrict)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(properties LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  if(ARG_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  endif()
  set(filter)
  if(ARG_TEST_FILTER)
    set(filter TEST_FILTER "${ARG_TEST_FILTER}")
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    ${filter}
    EXTRA_ARGS --gtest_color=no
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${properties})
endfunction()

# apptrust_npm_ci(TARGET SOURCE_DIR DEST_DIR COMMENT)
# Installs the npm packages pinned by SOURCE_DIR/package.json and
# package-lock.json into DEST_DIR/node_modules with `npm ci` (again only when
# either file changes), as the ALL target TARGET. Warns and defines nothing
# without npm (scripts/bootstrap installs it); tests that need the packages
# then fail on the missing files.
function(apptrust_npm_ci target source_dir dest_dir comment)
  find_program(APPTRUST_NPM npm)
  if(NOT APPTRUST_NPM)
    message(WARNING "npm not found: ${comment} will be missing and its tests will fail")
    return()
  endif()
  add_custom_command(
    OUTPUT ${dest_dir}/node_modules/.package-lock.json
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dest_dir}
    COMMAND ${CMAKE_COMMAND} -E copy ${source_dir}/package.json ${source_dir}/package-lock.json
            ${dest_dir}
    COMMAND ${APPTRUST_NPM} ci --prefix ${dest_dir} --prefer-offline --no-audit --no-fund
            --loglevel=error
    DEPENDS ${source_dir}/package.json ${source_dir}/package-lock.json
    COMMENT "npm ci: ${comment}")
  add_custom_target(${target} ALL DEPENDS ${dest_dir}/node_modules/.package-lock.json)
endfunction()
