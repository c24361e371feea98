#include "fanotify_exec_gate.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace vdsoforge::exec {

namespace {

// /proc/PID/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE SUPER".
struct MountLine {
  unsigned long id = 0;
  std::string mount_point;  // unescaped
  std::string options;      // per-mount: rw,nosuid,noexec,...
  std::string type;
};

// The kernel writes space, tab, newline and backslash in paths as \ooo.
std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const std::string digits = text.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(digits, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<MountLine> parse_mount_table(const std::string& text) {
  std::vector<MountLine> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    MountLine mount;
    std::string parent, device, root, point, word;
    if (!(words >> mount.id >> parent >> device >> root >> point >> mount.options)) continue;
    while (words >> word && word != "-") {  // optional tags up to the separator
    }
    if (!(words >> mount.type)) continue;
    mount.mount_point = unescape(point);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

bool has_option(const std::string& options, const std::string& option) {
  std::istringstream list(options);
  std::string item;
  while (std::getline(list, item, ','))
    if (item == option) return true;
  return false;
}

// The whole table, read again from the start through the held descriptor.
std::string read_mount_table(int fd) {
  std::string text;
  char chunk[4096];
  if (lseek(fd, 0, SEEK_SET) != 0) return text;
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

std::unique_ptr<FanotifyExecGate> FanotifyExecGate::create(std::string& error) {
  std::unique_ptr<FanotifyExecGate> gate(new FanotifyExecGate);
  // FAN_CLASS_CONTENT: the class permission events need.  FAN_REPORT_TID:
  // the thread in execve, the one to attach to.
  gate->group_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
                               O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (gate->group_ < 0) {
    error = std::string("fanotify_init: ") + std::strerror(errno);
    return nullptr;
  }
  return gate;
}

bool FanotifyExecGate::watch(pid_t process, std::string& error) {
  // Each waiting exec holds one descriptor here until answered: as many as
  // allowed, set after the program forked so that it keeps its own limit.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  const std::string proc = "/proc/" + std::to_string(process);
  root_ = ::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  mount_table_ = ::open((proc + "/mountinfo").c_str(), O_RDONLY | O_CLOEXEC);
  if (root_ < 0 || mount_table_ < 0) {
    error = proc + ": " + std::strerror(errno);
    return false;
  }
  if (mark_new_mounts() == 0) {
    error = "fanotify_mark: no mount of the program's namespace could be marked (" +
            (unmarked_.empty() ? std::string("none listed") : unmarked_.front()) + ")";
    return false;
  }
  return true;
}

FanotifyExecGate::~FanotifyExecGate() {
  // Closing the group answers every event still waiting with "allow".
  for (int fd : {group_, root_, mount_table_})
    if (fd >= 0) close(fd);
}

size_t FanotifyExecGate::mark_new_mounts() {
  size_t marked = 0;
  const std::vector<MountLine> table = parse_mount_table(read_mount_table(mount_table_));
  // The kernel gives a mount's id to a new mount once the old one is gone:
  // an id that left the table is a stranger when it comes back.
  std::set<unsigned long> present;
  for (const MountLine& mount : table) present.insert(mount.id);
  std::erase_if(marked_, [&](unsigned long id) { return !present.count(id); });
  for (const MountLine& mount : table) {
    // A noexec mount holds nothing the kernel would run; it is looked at
    // again should a remount make it executable.
    if (marked_.count(mount.id) || has_option(mount.options, "noexec")) continue;
    // proc, sysfs and cgroup file systems never hold anything the kernel
    // executes (SB_I_NOEXEC), and proc refuses permission marks besides;
    // /proc/self/exe and the like resolve to the real file's own mount.
    if (mount.type == "proc" || mount.type == "sysfs" || mount.type.starts_with("cgroup")) {
      marked_.insert(mount.id);
      continue;
    }
    // Resolved inside the program's root, so a mount point never leads out
    // of its namespace; O_PATH opens even a mounted device node harmlessly.
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const std::string relative = mount.mount_point == "/" ? "." : mount.mount_point.substr(1);
    const int fd =
        static_cast<int>(syscall(SYS_openat2, root_, relative.c_str(), &how, sizeof how));
    int failure = fd < 0 ? errno : 0;
    struct statx reached {};
    if (fd >= 0 && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &reached) == 0 &&
        (reached.stx_mask & STATX_MNT_ID) && reached.stx_mnt_id != mount.id) {
      // Another mount covers this one's mount point: what the path reaches
      // is that one, marked through its own line.  This one is tried again
      // when the table changes (the cover may go).
      close(fd);
      continue;
    }
    if (fd >= 0) {
      // fanotify_mark takes no O_PATH descriptor, but it takes the path
      // that descriptor's /proc link names, which is this very mount.
      const std::string link = "/proc/self/fd/" + std::to_string(fd);
      if (fanotify_mark(group_, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, AT_FDCWD,
                        link.c_str()) != 0)
        failure = errno;
      close(fd);
    }
    marked_.insert(mount.id);  // tried once, said once
    if (failure == 0)
      ++marked;
    else
      unmarked_.push_back(mount.mount_point + " (" + mount.type + "): " + std::strerror(failure));
  }
  return marked;
}

std::vector<ExecOpen> FanotifyExecGate::take_events() {
  std::vector<ExecOpen> opens;
  alignas(fanotify_event_metadata) char buffer[4096];
  for (;;) {
    const ssize_t n = read(group_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    // Any other failure: the kernel could not give this process the file
    // of an event (no descriptor left, or a file system that will not open
    // it for exec's credentials) and has denied that exec (EPERM).
    if (n < 0 && errno != EAGAIN) read_failure_ = errno;
    if (n <= 0) break;  // EAGAIN: nothing more waits
    ssize_t left = n;
    for (auto* event = reinterpret_cast<fanotify_event_metadata*>(buffer);
         FAN_EVENT_OK(event, left); event = FAN_EVENT_NEXT(event, left)) {
      if (event->fd < 0) continue;
      if (event->vers != FANOTIFY_METADATA_VERSION) {
        close(event->fd);
        continue;
      }
      if (!(event->mask & FAN_OPEN_EXEC_PERM)) {
        close(event->fd);
        continue;
      }
      opens.push_back({static_cast<pid_t>(event->pid), event->fd});
    }
  }
  return opens;
}

void FanotifyExecGate::allow(ExecOpen& open) {
  if (open.file_fd < 0) return;
  const fanotify_response response{open.file_fd, FAN_ALLOW};
  [[maybe_unused]] const ssize_t written = write(group_, &response, sizeof response);
  close(open.file_fd);
  open.file_fd = -1;
}

}  // namespace vdsoforge::exec
