# Loader tests: mapping, the kernel vDSO, the emulated data page and its
# modes, states, vgetrandom_alloc and the per-thread helper.
foreach(loader_test mapping kernel_vdso data_page generation_modes state_allocator layout_options
                    vgetrandom_alloc thread_helper fork chacha20_routine
                    profile_emulation)
  vdsoforge_add_test(loader_${loader_test}
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/test_${loader_test}.cpp"
    LIBS vdsoforge::loader
    NEEDS_IMAGE)
endforeach()
