#include "tools/bench/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

extern char** environ;

namespace tandem::bench {
namespace {

constexpr absl::string_view kReadyPrefix = "listening on ";

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& argv, absl::Duration ready_timeout) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Errno("pipe2");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears O_CLOEXEC on the child's stdout; both pipe ends close on exec.
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    errno = spawned;
    return Errno(absl::StrCat("posix_spawn ", argv[0]));
  }
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, pipe_fds[0]));

  // Read the child's stdout until the ready line, the child's exit, or the timeout.
  const absl::Time deadline = absl::Now() + ready_timeout;
  std::string output;
  while (true) {
    const size_t newline = output.find('\n');
    if (newline != std::string::npos) {
      absl::string_view line(output.data(), newline);
      if (absl::ConsumePrefix(&line, kReadyPrefix)) {
        process->address_ = std::string(line);
        return process;
      }
      output.erase(0, newline + 1);
      continue;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not report '", kReadyPrefix,
                                                      "ADDRESS' within ",
                                                      absl::FormatDuration(ready_timeout)));
    }
    pollfd poll_fd{process->stdout_fd_, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) return Errno("poll");
    if (ready <= 0) continue;
    char buffer[512];
    const ssize_t n = read(process->stdout_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno != EINTR) return Errno("read");
    if (n == 0) {
      return absl::UnavailableError(
          absl::StrCat(argv[0], " exited before it reported '", kReadyPrefix, "ADDRESS'"));
    }
    if (n > 0) output.append(buffer, n);
  }
}

ServerProcess::~ServerProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(stdout_fd_);
}

absl::Status ServerProcess::Stop(absl::Duration timeout) {
  if (reaped_) return absl::OkStatus();
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0 && errno != EINTR) return Errno("waitpid");
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      reaped_ = true;
      return absl::DeadlineExceededError(absl::StrCat(
          "server ", pid_, " did not exit within ", absl::FormatDuration(timeout),
          " of SIGTERM; killed"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  reaped_ = true;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFSIGNALED(status)) {
    return absl::InternalError(
        absl::StrCat("server ", pid_, " died of signal ", WTERMSIG(status)));
  }
  return absl::InternalError(
      absl::StrCat("server ", pid_, " exited with status ", WEXITSTATUS(status)));
}

absl::StatusOr<ProcSample> ReadProcSample(pid_t pid) {
  ProcSample sample;
  absl::StatusOr<std::string> status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return status.status();
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    auto value = [&line](absl::string_view key, double* out) {
      if (!absl::ConsumePrefix(&line, key)) return;
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, " kB");
      if (!absl::SimpleAtod(line, out)) *out = 0;
    };
    double threads = 0;
    value("Threads:", &threads);
    if (threads > 0) sample.threads = static_cast<int>(threads);
    double kib = 0;
    value("VmHWM:", &kib);
    if (kib > 0) sample.vm_hwm_mib = kib / 1024;
    kib = 0;
    value("VmRSS:", &kib);
    if (kib > 0) sample.vm_rss_mib = kib / 1024;
  }

  // /proc/<pid>/stat: "pid (comm) state ..." with utime and stime the 14th and 15th fields; comm
  // may hold spaces, so count from the last ')'.
  absl::StatusOr<std::string> stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return stat.status();
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return absl::InternalError("unexpected /proc/<pid>/stat");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(paren + 2), ' ', absl::SkipEmpty());
  // fields[0] is the state (3rd field), so utime (14th) is fields[11] and stime fields[12].
  double utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return absl::InternalError("unexpected /proc/<pid>/stat");
  }
  sample.cpu_s = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return sample;
}

PeakThreadSampler::PeakThreadSampler(pid_t pid, absl::Duration period)
    : thread_([this, pid, period] {
        while (!stop_.load(std::memory_order_relaxed)) {
          absl::StatusOr<ProcSample> sample = ReadProcSample(pid);
          if (sample.ok() && sample->threads > peak_.load(std::memory_order_relaxed)) {
            peak_.store(sample->threads, std::memory_order_relaxed);
          }
          absl::SleepFor(period);
        }
      }) {}

PeakThreadSampler::~PeakThreadSampler() { Stop(); }

int PeakThreadSampler::Stop() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }
  return peak_.load(std::memory_order_relaxed);
}

}  // namespace tandem::bench
