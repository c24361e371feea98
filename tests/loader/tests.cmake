# Loader tests: mapping, the kernel vDSO, the emulated data page and its
# modes, states, vgetrandom_alloc and the per-thread helper.
foreach(loader_test mapping kernel_vdso layout_options vgetrandom_alloc chacha20_routine
                    profile_emulation)
  vdsoforge_add_test(loader_${loader_test}
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/test_${loader_test}.cpp"
    LIBS vdsoforge::loader
    NEEDS_IMAGE)
endforeach()
# The generation worker, the per-thread state pool and allocator, fork with a worker.
foreach(loader_test data_page generation_modes state_allocator thread_helper fork)
  vdsoforge_add_test(loader_${loader_test} LABEL threads
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/test_${loader_test}.cpp"
    LIBS vdsoforge::loader
    NEEDS_IMAGE)
endforeach()
