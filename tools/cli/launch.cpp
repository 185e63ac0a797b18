#include "launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ardm::cli {
namespace {

// A port the kernel says is free on the loopback interface now (rank 0 binds it moments later).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("--nproc: cannot open a socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error(std::string("--nproc: cannot find a free port: ") + std::strerror(errno));
  }
  close(fd);
  return ntohs(a.sin_port);
}

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "stopped (status " + std::to_string(status) + ")";
}

}  // namespace

std::vector<std::string> without_nproc(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    out.push_back(a);
  }
  return out;
}

int launch_local(int nproc, const std::vector<std::string>& args) {
  if (nproc < 1) throw std::invalid_argument("--nproc must be at least 1");
  if (std::getenv("WORLD_SIZE") != nullptr)
    throw std::invalid_argument("--nproc: this process is already part of a distributed run (WORLD_SIZE is set)");
  const int port = free_port();
  // Our own path, so the workers are this very build.
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) throw std::runtime_error("--nproc: cannot find this executable (/proc/self/exe)");
  self[len] = '\0';
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = fork();
    if (pid < 0) {
      for (pid_t p : pids) kill(p, SIGTERM);
      throw std::runtime_error(std::string("--nproc: cannot start a process: ") + std::strerror(errno));
    }
    if (pid == 0) {
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      // The cores are shared between the ranks unless the user said otherwise.
      setenv("OMP_NUM_THREADS", std::to_string(std::max(1u, cores / static_cast<unsigned>(nproc))).c_str(), 0);
      std::vector<char*> cargs;
      cargs.push_back(self);
      for (size_t i = 1; i < args.size(); ++i) cargs.push_back(const_cast<char*>(args[i].c_str()));
      cargs.push_back(nullptr);
      execv(self, cargs.data());
      std::fprintf(stderr, "ardm: error: --nproc: cannot run %s: %s\n", self, std::strerror(errno));
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::fprintf(stderr, "started %d processes (ranks 0-%d, rendezvous at 127.0.0.1:%d)\n", nproc, nproc - 1, port);

  // Wait for all; on the first failure (or a signal to us) stop the others: TERM, then KILL.
  int result = 0;
  int left = nproc;
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  auto stop_others = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) kill(p, sig);
  };
  while (left > 0) {
    if (g_signal != 0 && !stopping) {
      std::fprintf(stderr, "ardm: stopping the %d processes (signal %d)\n", left, static_cast<int>(g_signal));
      stop_others(g_signal);
      stopping = true;
      result = 128 + g_signal;
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
      stop_others(SIGKILL);
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = std::find(pids.begin(), pids.end(), pid);
    if (it == pids.end()) continue;
    const int rank = static_cast<int>(it - pids.begin());
    *it = -1;
    --left;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && !stopping) {
      std::fprintf(stderr, "ardm: error: rank %d of %d %s; stopping the other %d\n", rank, nproc,
                   describe_exit(status).c_str(), left);
      stop_others(SIGTERM);
      stopping = true;
      result = 1;
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
  }
  return result;
}

}  // namespace ardm::cli
