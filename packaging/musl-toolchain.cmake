# Static musl build of cinit with Debian's musl-dev, for any of the six
# release architectures (README "Building"):
#   cmake -S . -B build-musl -DCMAKE_TOOLCHAIN_FILE=packaging/musl-toolchain.cmake
#   cmake -S . -B build-musl-aarch64 -DCMAKE_TOOLCHAIN_FILE=packaging/musl-toolchain.cmake -DCINIT_ARCH=aarch64
# CINIT_ARCH is one of x86_64 aarch64 armhf ppc64le s390x i386 (default:
# this machine's). Another architecture needs `dpkg --add-architecture DEB`
# and the packages musl-dev:DEB and g++-GNU (the names are in the table
# below; tests/check installs them all).
#
# Compiler: GNU's g++ for the target (the native g++ for this machine's
# architecture), told by musl-dev's specs file to use musl's headers,
# libc.a and library folder instead of glibc's. musl has no libstdc++, so
# only header-only parts of the C++ standard library may be used; their
# headers are the target g++'s own. Linking without libstdc++ also proves
# that the binary never calls new.
#
# Link: a static PIE (musl's rcrt1.o relocates the binary at its random
# address before anything else runs). The specs file knows only fixed-address
# static binaries, so the start files, libraries and linker switches are
# spelled out here; CMakeLists.txt adds the hardening (RELRO, BIND_NOW,
# separate code, no executable stack, stack protector) for every build.
set(CMAKE_SYSTEM_NAME Linux)

if(NOT CINIT_ARCH)
  set(CINIT_ARCH "$ENV{CINIT_ARCH}")
endif()
if(NOT CINIT_ARCH)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE CINIT_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(CINIT_ARCH MATCHES "^armv[78]")
    set(CINIT_ARCH armhf)
  elseif(CINIT_ARCH MATCHES "^i[3-6]86$")
    set(CINIT_ARCH i386)
  endif()
endif()
# try_compile re-reads this file in a new project: hand the choice on.
set(ENV{CINIT_ARCH} "${CINIT_ARCH}")
set(CINIT_ARCH "${CINIT_ARCH}" CACHE STRING "target architecture: x86_64 aarch64 armhf ppc64le s390x i386" FORCE)

# architecture   GNU triplet (g++-*)     musl folder              Debian arch
set(CINIT_ARCHES
  "x86_64         x86_64-linux-gnu        x86_64-linux-musl        amd64"
  "aarch64        aarch64-linux-gnu       aarch64-linux-musl       arm64"
  "armhf          arm-linux-gnueabihf     arm-linux-musleabihf     armhf"
  "ppc64le        powerpc64le-linux-gnu   powerpc64le-linux-musl   ppc64el"
  "s390x          s390x-linux-gnu         s390x-linux-musl         s390x"
  "i386           i686-linux-gnu          i386-linux-musl          i386")
unset(CINIT_GNU)
foreach(row IN LISTS CINIT_ARCHES)
  string(REGEX REPLACE " +" ";" row "${row}")
  list(GET row 0 arch)
  if(arch STREQUAL CINIT_ARCH)
    list(GET row 1 CINIT_GNU)
    list(GET row 2 CINIT_MUSL)
    list(GET row 3 CINIT_DEB_ARCH)
  endif()
endforeach()
if(NOT CINIT_GNU)
  message(FATAL_ERROR "cinit: CINIT_ARCH=${CINIT_ARCH} is not one of x86_64 aarch64 armhf ppc64le s390x i386: pass one of those (-DCINIT_ARCH=...)")
endif()
set(CMAKE_SYSTEM_PROCESSOR ${CINIT_ARCH})
set(CMAKE_CXX_COMPILER ${CINIT_GNU}-g++)
# Debian architecture name, for the .deb (packaging/cpack.cmake).
set(CINIT_DEB_ARCH ${CINIT_DEB_ARCH} CACHE STRING "Debian architecture of the package" FORCE)

set(CINIT_MUSL_LIB /usr/lib/${CINIT_MUSL})
set(CINIT_MUSL_SPECS ${CINIT_MUSL_LIB}/musl-gcc.specs)
if(NOT EXISTS ${CINIT_MUSL_SPECS} OR NOT EXISTS ${CINIT_MUSL_LIB}/rcrt1.o)
  message(FATAL_ERROR "cinit: ${CINIT_MUSL_SPECS} not found: install musl for ${CINIT_ARCH} (dpkg --add-architecture ${CINIT_DEB_ARCH}; apt-get update; apt-get install musl-dev:${CINIT_DEB_ARCH})")
endif()
find_program(CINIT_GXX ${CINIT_GNU}-g++)
if(NOT CINIT_GXX)
  message(FATAL_ERROR "cinit: ${CINIT_GNU}-g++ not found: install the compiler for ${CINIT_ARCH} (apt-get install g++-${CINIT_GNU})")
endif()

# The target g++'s C++ header folders, as it lists them itself (so neither
# its version nor where Debian keeps a cross compiler's headers is assumed).
execute_process(COMMAND ${CINIT_GXX} -xc++ -E -Wp,-v /dev/null
                OUTPUT_QUIET ERROR_VARIABLE search RESULT_VARIABLE rc)
string(REGEX MATCHALL "\n ([^\n]*/c\\+\\+/[^\n]*)" dirs "${search}")
set(CINIT_CXX_INCLUDES "")
foreach(d IN LISTS dirs)
  string(STRIP "${d}" d)
  get_filename_component(d "${d}" REALPATH)
  string(APPEND CINIT_CXX_INCLUDES " -isystem ${d}")
endforeach()
if(NOT CINIT_CXX_INCLUDES)
  message(FATAL_ERROR "cinit: ${CINIT_GXX} lists no C++ header folder: install g++-${CINIT_GNU}")
endif()
execute_process(COMMAND ${CINIT_GXX} -print-file-name=crtbeginS.o OUTPUT_VARIABLE CINIT_CRTBEGIN OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CINIT_GXX} -print-file-name=crtendS.o OUTPUT_VARIABLE CINIT_CRTEND OUTPUT_STRIP_TRAILING_WHITESPACE)

set(CMAKE_CXX_FLAGS_INIT
  "-specs=${CINIT_MUSL_SPECS}${CINIT_CXX_INCLUDES} '-D__GLIBC_PREREQ(a,b)=0' -DCINIT_NO_LIBSTDCXX")
# CMake passes the compile flags (with the specs) when linking too. The
# start files go before cinit's objects, libc, libgcc and the end files after.
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "-nostartfiles -nodefaultlibs -static-pie -Wl,-static,-pie,--no-dynamic-linker,-z,text ${CINIT_MUSL_LIB}/rcrt1.o ${CINIT_MUSL_LIB}/crti.o ${CINIT_CRTBEGIN}")
# A group: 32-bit ARM's libgcc calls back into libc (raise, for a division by 0).
set(CMAKE_CXX_STANDARD_LIBRARIES "-Wl,--start-group -lc -lgcc -Wl,--end-group ${CINIT_CRTEND} ${CINIT_MUSL_LIB}/crtn.o")
# Segments are aligned for the largest page the architecture's kernels use:
# 64 KiB on aarch64 and ppc64le (a binary aligned for 4 KiB does not load on
# a 64 KiB-page kernel), 4 KiB on the others. 32-bit ARM kernels only use
# 4 KiB pages, but ld assumes 64 KiB there: that would only pad the file.
if(CINIT_ARCH STREQUAL armhf)
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-z,max-page-size=4096")
endif()
# File layout: GNU ld puts the code between the read-only data and the data;
# with -z separate-code each of the three boundaries is padded to a
# MAXPAGESIZE page in the file (64 KiB on aarch64 and ppc64le).
# packaging/ld-code-last.awk reorders ld's own default script: segments
# start on a fresh MAXPAGESIZE page in memory, so the binary loads on any
# page size up to it, but are only padded to 4 KiB in the file (README
# "Decisions", file layout). The code goes last; on ppc64le before the
# data instead: musl's powerpc64 _start loads the offset from itself to
# _DYNAMIC as an unsigned 32-bit word (lwz), so _DYNAMIC must lie above the
# code there (below it, the start code jumps 4 GiB off and crashes).
set(CINIT_CODE_PLACE last)
if(CINIT_ARCH STREQUAL ppc64le)
  set(CINIT_CODE_PLACE before-data)
endif()
execute_process(COMMAND ${CINIT_GXX} -print-prog-name=ld OUTPUT_VARIABLE CINIT_LD OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CINIT_LD} -static -pie --no-dynamic-linker -z text -z relro -z now -z separate-code -z noexecstack --verbose
                COMMAND sed -n "/^=====/,/^=====/{/^=====/!p}"
                COMMAND awk -v place=${CINIT_CODE_PLACE} -f ${CMAKE_CURRENT_LIST_DIR}/ld-code-last.awk
                OUTPUT_FILE ${CMAKE_BINARY_DIR}/cinit-code-last.ld RESULTS_VARIABLE rcs)
if(NOT rcs MATCHES "^0;0;0$")
  message(FATAL_ERROR "cinit: cannot make the linker script from `${CINIT_LD} --verbose` (exit codes ${rcs}): check binutils for ${CINIT_ARCH} (apt-get install binutils-${CINIT_GNU})")
endif()
# CMakeLists.txt links cinit with it (-T).
set(CINIT_LINKER_SCRIPT ${CMAKE_BINARY_DIR}/cinit-code-last.ld)
# Tells CMakeLists.txt that the toolchain links the static PIE itself.
set(CINIT_STATIC_PIE_BY_TOOLCHAIN ON)
# GoogleTest is built for glibc: the musl build makes the binary only
# (tests/cross builds the unit tests for other architectures).
set(CINIT_TESTS OFF CACHE BOOL "" FORCE)
