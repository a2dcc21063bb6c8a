# Every dependency comes from a Debian 12 package; scripts/packages.txt lists
# them and scripts/bootstrap installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
# CMake's FindProtobuf defines protobuf::libprotobuf, which gRPC's config needs.
find_package(Protobuf REQUIRED)
find_program(PROTOC protoc REQUIRED)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)
pkg_check_modules(URIPARSER REQUIRED IMPORTED_TARGET liburiparser)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)

if(APPTRUST_PROBE_BORINGSSL)
  # Debian's android-libboringssl-dev: headers under /usr/include/android.
  set(BORINGSSL_LIBDIR /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android)
  add_library(apptrust_tls_lib INTERFACE)
  target_include_directories(apptrust_tls_lib SYSTEM INTERFACE /usr/include/android)
  target_link_libraries(apptrust_tls_lib INTERFACE
    ${BORINGSSL_LIBDIR}/libssl.so ${BORINGSSL_LIBDIR}/libcrypto.so)
  target_link_options(apptrust_tls_lib INTERFACE "-Wl,-rpath,${BORINGSSL_LIBDIR}")
  target_compile_definitions(apptrust_tls_lib INTERFACE APPTRUST_BORINGSSL=1)
else()
  find_package(OpenSSL 3 REQUIRED)
  add_library(apptrust_tls_lib INTERFACE)
  target_link_libraries(apptrust_tls_lib INTERFACE OpenSSL::SSL OpenSSL::Crypto)
  find_package(gRPC CONFIG REQUIRED)
  find_package(prometheus-cpp CONFIG REQUIRED)
  pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)
  pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
  find_package(benchmark CONFIG)
endif()

if(APPTRUST_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
