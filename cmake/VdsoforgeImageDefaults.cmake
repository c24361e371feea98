# What an image is built for when nobody says otherwise: the one place these
# defaults are written.  The project's cache variables (CMakeLists.txt) start
# from them, vdsoforge_add_image() falls back to them (it is installed with
# this file, so an installed package has the same defaults), and the build
# configures them into <build>/generated/include/vdsoforge/image_defaults.h
# (cmake/image_defaults.h.in) for the tools and tests.  docs/abi.md explains
# the numbers.
include_guard(GLOBAL)

# Kernel ABI version the image's Linux note names: the first kernel with the
# vDSO getrandom.
set(VDSOFORGE_DEFAULT_LINUX_VERSION 6.11.0)
# The explicit data area: six pages below the image, vdso_rng_data 0x2000
# into them (base - 0x4000), as Linux 6.15 and later map them on x86-64.
set(VDSOFORGE_DEFAULT_DATA_AREA_SIZE 0x6000)
set(VDSOFORGE_DEFAULT_RNG_DATA_OFFSET 0x2000)

# vdsoforge_linux_version_code(<major.minor.patch> <out>): the kernel's
# KERNEL_VERSION(a, b, c) as a hexadecimal literal; the patch level saturates
# at 255 as in the kernel.  Fails on anything but three dot-separated numbers.
function(vdsoforge_linux_version_code version out)
  if(NOT version MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "Linux version \"${version}\" is not major.minor.patch")
  endif()
  set(patch ${CMAKE_MATCH_3})
  if(patch GREATER 255)
    set(patch 255)
  endif()
  math(EXPR code "(${CMAKE_MATCH_1} << 16) | (${CMAKE_MATCH_2} << 8) | ${patch}"
       OUTPUT_FORMAT HEXADECIMAL)
  set(${out} ${code} PARENT_SCOPE)
endfunction()
