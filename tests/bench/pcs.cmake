# Basefold benchmarks (issue 3); included from tests/bench/CMakeLists.txt.
add_executable(bench_pcs ${CMAKE_CURRENT_LIST_DIR}/bench_pcs.cpp)
target_link_libraries(bench_pcs PRIVATE benchmark::benchmark zks_pcs)
