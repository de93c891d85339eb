# Static musl build of cinit with Debian's musl-tools (see README "Building").
#   cmake -S . -B build-musl -DCMAKE_TOOLCHAIN_FILE=packaging/musl-toolchain.cmake
# musl-tools has no libstdc++ for musl, so only header-only parts of the C++
# standard library may be used; libstdc++'s headers are borrowed from g++.
# Linking without libstdc++ also proves that the binary never calls new.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_CXX_COMPILER g++)

set(CINIT_MUSL_SPECS /usr/lib/x86_64-linux-musl/musl-gcc.specs)
if(NOT EXISTS ${CINIT_MUSL_SPECS})
  message(FATAL_ERROR "cinit: ${CINIT_MUSL_SPECS} not found: install musl-tools (apt-get install musl-tools)")
endif()
execute_process(COMMAND g++ -dumpversion OUTPUT_VARIABLE CINIT_GXX_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCH "^[0-9]+" CINIT_GXX_MAJOR "${CINIT_GXX_VERSION}")

set(CMAKE_CXX_FLAGS_INIT
  "-specs=${CINIT_MUSL_SPECS} -isystem /usr/include/c++/${CINIT_GXX_MAJOR} -isystem /usr/include/x86_64-linux-gnu/c++/${CINIT_GXX_MAJOR} '-D__GLIBC_PREREQ(a,b)=0' -DCINIT_NO_LIBSTDCXX")
# CMake passes the compile flags (with the specs) when linking too.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -nodefaultlibs")
set(CMAKE_CXX_STANDARD_LIBRARIES "-lc -lgcc")
# GoogleTest is built for glibc: the musl build makes the binary only.
set(CINIT_TESTS OFF CACHE BOOL "" FORCE)
