#pragma once
// The logging facade: one logger per category (field, sumcheck, miner, rpc ...),
// spdlog underneath. Nothing a peer can trigger should log unconditionally at high
// volume: use debug level or rate limit at the call site.

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace zks::log {

// Returns the logger for a category, creating it on first use.
std::shared_ptr<spdlog::logger> get(std::string_view category);

// Sets the level of every category ("trace", "debug", "info", "warn", "error", "off").
void set_level(std::string_view level);

}  // namespace zks::log

#define ZKS_LOG_INFO(cat, ...) ::zks::log::get(cat)->info(__VA_ARGS__)
#define ZKS_LOG_WARN(cat, ...) ::zks::log::get(cat)->warn(__VA_ARGS__)
#define ZKS_LOG_ERROR(cat, ...) ::zks::log::get(cat)->error(__VA_ARGS__)
#define ZKS_LOG_DEBUG(cat, ...) ::zks::log::get(cat)->debug(__VA_ARGS__)
