// The local store's crash loops (local_store_crash_test.cc): self-checking values, the writer's
// deterministic sequence of store operations, a model of the stages those operations leave, and
// the child-process plumbing (fork, one-byte reports on a pipe, SIGKILL).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "locksmith/provider.h"

namespace locksmith::testing {

inline constexpr int kCrashSecrets = 3;

inline std::string CrashSecretName(int index) {
  return "crash/secret-" + std::to_string(index % kCrashSecrets);
}

inline std::uint64_t CrashFnv1a(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (char c : text) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return hash;
}

// "<tag>|<filler>|<hash of both>": 1-4 KiB, so a value spans several SQLite pages, and any torn,
// mixed or foreign value fails CrashValueIsIntact.
inline std::string CrashCheckedValue(const std::string& tag) {
  std::minstd_rand filler(static_cast<unsigned>(CrashFnv1a(tag)));
  std::string body = tag + "|";
  const std::size_t size = 1024 + filler() % 3072;
  while (body.size() < size) {
    body.push_back(static_cast<char>('A' + filler() % 26));
  }
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(CrashFnv1a(body)));
  return body + "|" + hash;
}

inline bool CrashValueIsIntact(std::string_view value, std::string_view secret_name) {
  const std::size_t bar = value.rfind('|');
  if (bar == std::string_view::npos || value.size() - bar != 17) {
    return false;
  }
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(CrashFnv1a(value.substr(0, bar))));
  return value.substr(bar + 1) == hash &&
         value.find(std::string(secret_name) + "|") != std::string_view::npos;
}

// One store operation of the writer, acknowledged with one byte once it committed.
struct CrashEvent {
  enum class Kind { kPutCurrent, kPutPending, kPromotePending };
  Kind kind;
  std::string name;
  std::string value;  // for kPromotePending: the pending value being promoted
};

enum class CrashWorkload {
  kWrites,     // puts as current, every fourth a pending put + promote
  kRotations,  // every one a rotation: pending put + promote (SecretsManager::Rotate's two steps)
};

// Event `index` of the writer in round `round`, computed on its own (the child cannot afford to
// build its whole list first); the same on both sides of the pipe. kWrites repeats, per four
// operations: three puts as current, then a pending put and its promote (five events).
inline CrashEvent CrashEventAt(CrashWorkload workload, int round, int index) {
  int op = 0;
  CrashEvent::Kind kind = CrashEvent::Kind::kPutCurrent;
  if (workload == CrashWorkload::kRotations) {
    op = index / 2;
    kind = index % 2 == 0 ? CrashEvent::Kind::kPutPending : CrashEvent::Kind::kPromotePending;
  } else {
    const int in_block = index % 5;
    op = 4 * (index / 5) + std::min(in_block, 3);
    kind = in_block < 3    ? CrashEvent::Kind::kPutCurrent
           : in_block == 3 ? CrashEvent::Kind::kPutPending
                           : CrashEvent::Kind::kPromotePending;
  }
  const std::string name = CrashSecretName(op);
  return {kind, name,
          CrashCheckedValue("r" + std::to_string(round) + "-op" + std::to_string(op) + "-" + name)};
}

inline std::vector<CrashEvent> CrashEvents(CrashWorkload workload, int round, int count) {
  std::vector<CrashEvent> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(CrashEventAt(workload, round, i));
  }
  return events;
}

// The values the stages of one secret should hold.
struct CrashStages {
  std::optional<std::string> current, previous, pending;
  bool operator==(const CrashStages&) const = default;
};
using CrashModel = std::map<std::string, CrashStages>;

// What the local store does to the stages (local_store.cc: MakeCurrent and Put).
inline void CrashApply(CrashModel& model, const CrashEvent& event) {
  CrashStages& stages = model[event.name];
  switch (event.kind) {
    case CrashEvent::Kind::kPutCurrent:
      if (stages.current) {
        stages.previous = stages.current;
      }
      stages.current = event.value;
      break;
    case CrashEvent::Kind::kPutPending:
      stages.pending = event.value;
      break;
    case CrashEvent::Kind::kPromotePending:
      stages.pending.reset();
      if (stages.current && *stages.current != event.value) {
        stages.previous = stages.current;
      }
      stages.current = event.value;
      break;
  }
}

// A forked child reporting on a pipe.
struct CrashChild {
  pid_t pid = -1;
  int fd = -1;  // the read end
};

// Forks; the child runs `body(write_fd)`, which must not return.
template <typename Body>
CrashChild ForkCrashChild(Body body) {
  int fds[2];
  if (::pipe(fds) != 0) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    body(fds[1]);
    ::_exit(3);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

// Reads one byte within a generous bound; 0 on timeout or end of file.
inline char ReadCrashByte(int fd, int timeout_ms = 60000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) {
    return 0;
  }
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : 0;
}

// SIGKILLs the child, reaps it, and returns every byte it reported before dying. `status` gets
// the wait status.
inline std::string KillCrashChild(CrashChild& child, int* status) {
  ::kill(child.pid, SIGKILL);
  *status = 0;
  ::waitpid(child.pid, status, 0);
  std::string bytes;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(child.fd, buffer, sizeof(buffer))) > 0) {
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(child.fd);
  child = {};
  return bytes;
}

}  // namespace locksmith::testing
