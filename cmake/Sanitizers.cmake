# Builds that prove the code under hostile input and concurrency, each into
# its own build directory (scripts/test --sanitize, scripts/fuzz):
#
# APPTRUST_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on every
#   target; any undefined behaviour stops the process (no recovery), so a test
#   that meets one fails.
# APPTRUST_FUZZ: the same sanitizers plus libFuzzer's coverage instrumentation,
#   and the libFuzzer targets under fuzz/. Needs clang (Debian's clang-14 and
#   libclang-rt-14-dev).
#
# With clang, every project target is also compiled with -Wthread-safety
# (apptrust_warnings): state annotated ABSL_GUARDED_BY must be touched only
# with its mutex held; with APPTRUST_WERROR a violation fails the build.
option(APPTRUST_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(APPTRUST_FUZZ "Build the libFuzzer targets (fuzz/), with ASan and UBSan; needs clang" OFF)

if(APPTRUST_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "APPTRUST_FUZZ needs clang (CXX=clang++-14), not ${CMAKE_CXX_COMPILER_ID}")
endif()

if(APPTRUST_SANITIZE OR APPTRUST_FUZZ)
  # Generated protobuf code and the project's own code alike: a bad read in
  # either is found. Debian's libraries (gRPC, protobuf, OpenSSL) are not
  # instrumented, but ASan still sees their heap through its allocator.
  #
  # Without UBSan's vptr check: it tests whether an object's memory is
  # readable by writing it into a pipe, so in a process out of descriptors
  # (the tests named OutOfDescriptors* make the services so, on purpose) every
  # virtual call it has not cached is reported as "invalid vptr". Bad casts
  # that would matter still end in a bad access that ASan reports.
  set(apptrust_sanitizers address,undefined)
  add_compile_options(-fsanitize=${apptrust_sanitizers} -fno-sanitize=vptr
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${apptrust_sanitizers} -fno-sanitize=vptr)
endif()

if(APPTRUST_FUZZ)
  # Coverage feedback for libFuzzer in every library a target links; only the
  # fuzz targets themselves link libFuzzer's main (-fsanitize=fuzzer).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
