# Tests of `vdsoforge abi`, `dump` and `embed` (run the built tool as users
# do), and a plain C program built from an `embed` header.
set(abi_test_dir "${CMAKE_CURRENT_LIST_DIR}")
set(abi_test_support ${abi_test_dir}/abi_fixtures.cpp)

foreach(area IN ITEMS pass broken errors dump embed messages layout)
  vdsoforge_add_test(abi_${area}
    SOURCES ${abi_test_dir}/test_abi_${area}.cpp ${abi_test_support}
    LIBS vdsoforge::loader vdsoforge_tools
    NEEDS_IMAGE)
  target_include_directories(abi_${area} PRIVATE "${abi_test_dir}")
endforeach()

# The cross-check with libabigail's abidiff (abigail-tools) on the same pairs.
find_program(VDSOFORGE_ABIDIFF abidiff REQUIRED)
vdsoforge_add_test(abi_abidiff
  SOURCES ${abi_test_dir}/test_abi_abidiff.cpp ${abi_test_support}
  LIBS vdsoforge::loader vdsoforge_tools
  NEEDS_IMAGE)
target_include_directories(abi_abidiff PRIVATE "${abi_test_dir}")
target_compile_definitions(abi_abidiff PRIVATE VDSOFORGE_ABIDIFF="${VDSOFORGE_ABIDIFF}")

# Corrupted images: the verdict and exit status of each, and the generators
# in-process (so the sanitizer build sees every access).
vdsoforge_add_test(abi_robustness
  SOURCES ${abi_test_dir}/test_abi_robustness.cpp ${abi_test_support}
  LIBS vdsoforge::loader vdsoforge_tools
  NEEDS_IMAGE)
target_include_directories(abi_robustness PRIVATE "${abi_test_dir}")

# The consumer models, in-process, against altered images.
vdsoforge_add_test(abi_consumers
  SOURCES ${abi_test_dir}/test_abi_consumers.cpp ${abi_test_support}
  LIBS vdsoforge::loader vdsoforge_tools
  NEEDS_IMAGE)
target_include_directories(abi_consumers PRIVATE "${abi_test_dir}")

# The embed header is generated from the built image by the built tool at
# build time, then compiled into a C program that maps and calls the image.
set(abi_embed_dir "${CMAKE_CURRENT_BINARY_DIR}/abi_embed_header")
set(abi_embed_header "${abi_embed_dir}/test_vdso_embedded.h")
set(abi_built_image "${PROJECT_BINARY_DIR}/vdso_src/vdsoforge-getrandom.so")
add_custom_command(
  OUTPUT "${abi_embed_header}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${abi_embed_dir}"
  COMMAND vdsoforge embed "${abi_built_image}" -o "${abi_embed_header}" --name test_vdso
  DEPENDS vdsoforge vdsoforge-getrandom "${abi_built_image}"
  COMMENT "Embedding the built image into test_vdso_embedded.h"
  VERBATIM)
add_executable(abi_embed_program ${abi_test_dir}/embed_program.c "${abi_embed_header}")
target_include_directories(abi_embed_program PRIVATE "${abi_embed_dir}")
set_target_properties(abi_embed_program PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_compile_options(abi_embed_program PRIVATE -Wall -Wextra -Werror -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
add_test(NAME "abi_embed_program: maps the embedded image and calls getrandom by its offset"
         COMMAND abi_embed_program)
set_tests_properties("abi_embed_program: maps the embedded image and calls getrandom by its offset"
                     PROPERTIES SKIP_RETURN_CODE 77)
