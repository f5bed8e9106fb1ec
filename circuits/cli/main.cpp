#include <CLI/CLI.hpp>

#include "backend/backend.hpp"
#include "cli/commands.hpp"
#include "util/log.hpp"
#include "util/memory.hpp"
#include "util/thread_pool.hpp"

int main(int argc, char** argv) {
  zks::util::tune_allocator_for_proving(/*heap_only=*/true);
  CLI::App app{"zkslice: verifiable inference. Compile, prove and verify ONNX models."};
  app.require_subcommand(1);
  size_t threads = 0;
  std::string log_level = "info";
  app.add_option("--threads", threads, "Worker threads for proving (0 = all cores)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  bool no_gpu = false;
  app.add_flag("--no-gpu", no_gpu, "Prove on the CPU even where a GPU is present");

  zks::cli::Context ctx;
  zks::cli::register_selftest(app, ctx);
  zks::cli::register_compile(app, ctx);
  zks::cli::register_keygen(app, ctx);
  zks::cli::register_ping(app, ctx);
  zks::cli::register_infer(app, ctx);
  zks::cli::register_consensus(app, ctx);
  zks::cli::register_prove(app, ctx);

  app.parse_complete_callback([&] {
    zks::log::set_level(log_level);
    zks::util::ThreadPool::set_global_threads(threads);
    zks::backend::set_gpu_enabled(!no_gpu);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return ctx.exit_code;
}
