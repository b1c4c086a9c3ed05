# Version facts baked into the binary: the project version, the git commit
# and the build time (SOURCE_DATE_EPOCH honoured for reproducible builds).
include_guard(GLOBAL)
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE TARS_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET RESULT_VARIABLE git_rc)
if(NOT git_rc EQUAL 0 OR TARS_GIT_SHA STREQUAL "")
  set(TARS_GIT_SHA "unknown")
endif()
string(TIMESTAMP TARS_BUILD_TIME "%Y-%m-%dT%H:%M:%SZ" UTC)
configure_file(${CMAKE_SOURCE_DIR}/cmake/version.h.in
  ${CMAKE_BINARY_DIR}/generated/tars/version.h @ONLY)
