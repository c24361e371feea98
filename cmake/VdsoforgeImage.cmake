# vdsoforge_add_image(): build freestanding C++ sources into a checked vDSO image.
#
#   vdsoforge_add_image(<name>
#     SOURCES <file>...               freestanding C++ sources of the image
#     EXPORTS <symbol>...             the exact set of dynamic symbols to export
#     [VERSION <name>]                symbol version of the exports (LINUX_2.6)
#     [VERSION_SCRIPT <file>]         use this version script instead of generating one
#                                     (it must export the version's own symbol, <name>)
#     [LAYOUT <profile> | <data_area_size> <rng_data_offset>]
#                                     data pages below the image: a kernel's
#                                     profile (linux-6.11, linux-6.13, linux-6.15:
#                                     that kernel's data area, with the pre-6.15
#                                     time-namespace indirection), or an explicit
#                                     area (no indirection); default: the
#                                     explicit area of VdsoforgeImageDefaults.cmake
#     [LINUX_VERSION <major.minor.patch>]           Linux note (default: the
#                                     version VdsoforgeImageDefaults.cmake names)
#     [SONAME <soname>]               (default linux-vdso.so.1)
#     [INCLUDE_DIRECTORIES <dir>...]  [COMPILE_DEFINITIONS <def>...]
#     [STACKLESS_SYMBOLS <symbol>...] functions the check disassembles and proves
#                                     free of stack use)
#
# Produces <build>/<name>.so (stripped, what ships) and <name>.so.dbg (with
# symbols) and a target <name> that builds and checks both.  The image is
# compiled with its own flags, never the project's CMAKE_CXX_FLAGS, so build
# types and sanitizers of host code cannot leak into it.  After linking,
# `vdsoforge check` fails the build if the image breaks a vDSO rule.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/VdsoforgeImageDefaults.cmake")

set(VDSOFORGE_LINKER_DIR "${CMAKE_CURRENT_LIST_DIR}/../linker" CACHE INTERNAL "")
find_program(VDSOFORGE_LLD NAMES ld.lld ld.lld-14 REQUIRED)
find_program(VDSOFORGE_OBJCOPY NAMES objcopy llvm-objcopy llvm-objcopy-14 REQUIRED)

# The exports of the kernel's x86-64 vDSO (Linux 6.11+), each __vdso_ name
# with its weak plain alias, and the getrandom pair alone.
set(VDSOFORGE_GETRANDOM_EXPORTS __vdso_getrandom getrandom CACHE INTERNAL "")
set(VDSOFORGE_TIME_EXPORTS
  __vdso_clock_gettime clock_gettime __vdso_gettimeofday gettimeofday __vdso_time time
  __vdso_clock_getres clock_getres __vdso_getcpu getcpu CACHE INTERNAL "")
set(VDSOFORGE_KERNEL_EXPORTS ${VDSOFORGE_TIME_EXPORTS} ${VDSOFORGE_GETRANDOM_EXPORTS}
    CACHE INTERNAL "")

# The ids of layout_profiles.h's ProfileId, by the profile's name.
set(VDSOFORGE_LAYOUT_PROFILES linux-6.11 linux-6.13 linux-6.15 CACHE INTERNAL "")
set(VDSOFORGE_LAYOUT_PROFILE_ID_linux-6.11 1 CACHE INTERNAL "")
set(VDSOFORGE_LAYOUT_PROFILE_ID_linux-6.13 2 CACHE INTERNAL "")
set(VDSOFORGE_LAYOUT_PROFILE_ID_linux-6.15 3 CACHE INTERNAL "")

# The image compiler's defines for LAYOUT's arguments (data_layout.h reads them).
function(_vdsoforge_layout_flags name out)
  set(layout ${ARGN})
  list(LENGTH layout layout_len)
  if(layout_len EQUAL 1)
    if(NOT layout IN_LIST VDSOFORGE_LAYOUT_PROFILES)
      list(JOIN VDSOFORGE_LAYOUT_PROFILES ", " known)
      message(FATAL_ERROR "vdsoforge_add_image(${name}): LAYOUT ${layout} is no known profile "
                          "(${known}), nor <data_area_size> <rng_data_offset>")
    endif()
    set(${out} "-DVDSOFORGE_LAYOUT_PROFILE=${VDSOFORGE_LAYOUT_PROFILE_ID_${layout}}" PARENT_SCOPE)
  elseif(layout_len EQUAL 2)
    list(GET layout 0 data_area_size)
    list(GET layout 1 rng_data_offset)
    set(${out} "-DVDSOFORGE_DATA_AREA_SIZE=${data_area_size}"
               "-DVDSOFORGE_RNG_DATA_OFFSET=${rng_data_offset}" PARENT_SCOPE)
  else()
    message(FATAL_ERROR "vdsoforge_add_image(${name}): LAYOUT takes a profile name "
                        "(linux-6.11, linux-6.13, linux-6.15) or <data_area_size> <rng_data_offset>")
  endif()
endfunction()

function(vdsoforge_add_image name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
    "VERSION;VERSION_SCRIPT;LINUX_VERSION;SONAME"
    "SOURCES;EXPORTS;LAYOUT;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;STACKLESS_SYMBOLS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vdsoforge_add_image(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES OR NOT ARG_EXPORTS)
    message(FATAL_ERROR "vdsoforge_add_image(${name}): SOURCES and EXPORTS are required")
  endif()
  if(NOT ARG_VERSION)
    set(ARG_VERSION LINUX_2.6)
  endif()
  if(NOT ARG_SONAME)
    set(ARG_SONAME linux-vdso.so.1)
  endif()
  if(NOT ARG_LINUX_VERSION)
    set(ARG_LINUX_VERSION ${VDSOFORGE_DEFAULT_LINUX_VERSION})
  endif()
  if(NOT ARG_LAYOUT)
    set(ARG_LAYOUT ${VDSOFORGE_DEFAULT_DATA_AREA_SIZE} ${VDSOFORGE_DEFAULT_RNG_DATA_OFFSET})
  endif()
  _vdsoforge_layout_flags(${name} layout_flags ${ARG_LAYOUT})
  if(NOT ARG_LINUX_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
    message(FATAL_ERROR "vdsoforge_add_image(${name}): LINUX_VERSION must be major.minor.patch")
  endif()
  vdsoforge_linux_version_code(${ARG_LINUX_VERSION} linux_version_code)

  set(work_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.image")
  set(debug_image "${CMAKE_CURRENT_BINARY_DIR}/${name}.so.dbg")
  set(image "${CMAKE_CURRENT_BINARY_DIR}/${name}.so")

  if(ARG_VERSION_SCRIPT)
    get_filename_component(version_script "${ARG_VERSION_SCRIPT}" ABSOLUTE)
  else()
    set(version_script "${work_dir}/version.map")
    set(VDSOFORGE_VERSION "${ARG_VERSION}")
    list(JOIN ARG_EXPORTS ";\n\t\t" VDSOFORGE_EXPORT_LINES)
    set(VDSOFORGE_EXPORT_LINES "\t\t${VDSOFORGE_EXPORT_LINES};")
    configure_file("${VDSOFORGE_LINKER_DIR}/version.map.in" "${version_script}" @ONLY)
  endif()
  set(linker_script "${VDSOFORGE_LINKER_DIR}/vdso.lds")
  # The version's own ABS symbol (see version_symbol.s.in).
  set(VDSOFORGE_VERSION "${ARG_VERSION}")
  set(version_symbol_source "${work_dir}/version_symbol.s")
  set(version_symbol_object "${work_dir}/version_symbol.o")
  configure_file("${VDSOFORGE_LINKER_DIR}/version_symbol.s.in" "${version_symbol_source}" @ONLY)

  # Freestanding: no libc headers (-nostdlibinc leaves only the compiler's own
  # stddef.h/stdint.h), no runtime, no stack protector; unwind tables stay so
  # debuggers and profilers can walk through the image.
  set(cxx_flags
    --target=x86_64-linux-gnu -std=c++20 -O2 -g
    -ffreestanding -nostdlibinc -fno-builtin
    -fno-stack-protector -fno-exceptions -fno-rtti -fno-threadsafe-statics
    -fPIC -fvisibility=hidden -fno-plt -fno-common -fno-jump-tables
    -fasynchronous-unwind-tables -mcmodel=small
    -Wall -Wextra -Werror
    ${layout_flags}
    -DVDSOFORGE_LINUX_VERSION_CODE=${linux_version_code})
  foreach(dir IN LISTS ARG_INCLUDE_DIRECTORIES)
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND cxx_flags "-I${dir}")
  endforeach()
  foreach(def IN LISTS ARG_COMPILE_DEFINITIONS)
    list(APPEND cxx_flags "-D${def}")
  endforeach()

  set(objects "")
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(src_abs "${src}" ABSOLUTE)
    get_filename_component(src_name "${src}" NAME)
    set(obj "${work_dir}/${src_name}.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND "${CMAKE_CXX_COMPILER}" ${cxx_flags} -MD -MF "${obj}.d" -c "${src_abs}" -o "${obj}"
      DEPENDS "${src_abs}"
      DEPFILE "${obj}.d"
      COMMENT "Compiling ${src_name} for image ${name}"
      VERBATIM)
    list(APPEND objects "${obj}")
  endforeach()
  add_custom_command(
    OUTPUT "${version_symbol_object}"
    COMMAND "${CMAKE_CXX_COMPILER}" --target=x86_64-linux-gnu -c "${version_symbol_source}"
            -o "${version_symbol_object}"
    DEPENDS "${version_symbol_source}"
    COMMENT "Assembling the ${ARG_VERSION} version symbol for image ${name}"
    VERBATIM)
  list(APPEND objects "${version_symbol_object}")

  add_custom_command(
    OUTPUT "${debug_image}"
    COMMAND "${VDSOFORGE_LLD}" -shared -T "${linker_script}" --version-script "${version_script}"
            -soname "${ARG_SONAME}" --hash-style=both --build-id=sha1 -Bsymbolic --eh-frame-hdr
            -z max-page-size=4096 -z common-page-size=4096 -z now -z noexecstack
            --no-undefined
            -o "${debug_image}" ${objects}
    # One .dynstr string for the version and its symbol, as GNU ld leaves it
    # (tools/finish_image.h): readelf shows the symbol as the kernel's.
    COMMAND vdsoforge::vdsoforge --finish-image "${debug_image}"
    DEPENDS ${objects} "${linker_script}" "${version_script}" "$<TARGET_FILE:vdsoforge::vdsoforge>"
    COMMENT "Linking vDSO image ${name}.so.dbg"
    VERBATIM)

  if(NOT TARGET vdsoforge::vdsoforge)
    message(FATAL_ERROR "vdsoforge_add_image(${name}): the vdsoforge tool must be defined first "
                        "(it checks every image)")
  endif()
  string(REPLACE ";" "," exports_csv "${ARG_EXPORTS}")
  set(check_command COMMAND vdsoforge::vdsoforge check --exports "${exports_csv}"
                            --symbol-version "${ARG_VERSION}")
  foreach(sym IN LISTS ARG_STACKLESS_SYMBOLS)
    list(APPEND check_command --stackless "${sym}")
  endforeach()
  list(APPEND check_command --debug-image "${debug_image}" "${image}.tmp")

  add_custom_command(
    OUTPUT "${image}"
    COMMAND "${VDSOFORGE_OBJCOPY}" --strip-all "${debug_image}" "${image}.tmp"
    ${check_command}
    COMMAND "${CMAKE_COMMAND}" -E rename "${image}.tmp" "${image}"
    # The check re-runs whenever the tool (and so a rule) changes.
    DEPENDS "${debug_image}" "$<TARGET_FILE:vdsoforge::vdsoforge>"
    COMMENT "Stripping and checking vDSO image ${name}.so"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS "${image}")
  set_target_properties(${name} PROPERTIES
    VDSOFORGE_IMAGE "${image}"
    VDSOFORGE_DEBUG_IMAGE "${debug_image}")
endfunction()
