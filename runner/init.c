/*
 * runner-init: the code runner's two small native steps, in one static binary.
 *
 *   runner-init --launch CGROUP_PROCS... -- UID GID RLIMITS PROGRAM [ARG...]
 *
 * Launcher (on the host, started by the server with vfork, so that the server never forks its
 * whole image): writes its pid to each cgroup.procs file, sets the rlimits ("resource:soft:hard"
 * triples, comma-separated, by Linux resource number), drops to UID and GID ("-" keeps them),
 * then execs PROGRAM (bwrap).
 *
 *   runner-init REPORT_FD PROGRAM [ARG...]
 *
 * Process 1 of every sandbox (bwrap --as-pid-1): forks and execs the program, reaps every
 * process of the namespace until the program exits, kills what is left, and writes one line to
 * REPORT_FD:  <wait status of the program> <CPU microseconds of all reaped processes> <max RSS KiB>
 * It refuses to run unless it is process 1 (of a new pid namespace). As the namespace's init it
 * ignores every signal sent from inside the sandbox (the kernel drops signals to a namespace's
 * init that it has no handler for), so the program cannot kill the process that measures it.
 *
 * Written for PeerPrep's runner; compiled at start (or in the image) with
 *   cc -O2 -static -o runner-init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "runner-init: %s: %s\n", what, strerror(errno));
    return 125;
}

static int launch(int argc, char **argv) {
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || dprintf(fd, "%d", (int)getpid()) < 0 || close(fd) != 0) {
            return fail(argv[i]);
        }
    }
    if (argc - i < 5) {
        fputs("runner-init: --launch needs -- UID GID RLIMITS PROGRAM\n", stderr);
        return 120;
    }
    const char *uid = argv[i + 1], *gid = argv[i + 2];
    char *limits = argv[i + 3];
    for (char *item = strtok(limits, ","); item != NULL; item = strtok(NULL, ",")) {
        int resource;
        unsigned long long soft, hard;
        if (sscanf(item, "%d:%llu:%llu", &resource, &soft, &hard) != 3) {
            fprintf(stderr, "runner-init: bad rlimit %s\n", item);
            return 120;
        }
        struct rlimit value = {(rlim_t)soft, (rlim_t)hard};
        if (setrlimit(resource, &value) != 0) {
            return fail("setrlimit");
        }
    }
    if (strcmp(gid, "-") != 0) {
        gid_t g = (gid_t)strtoul(gid, NULL, 10);
        if (setgroups(0, NULL) != 0 || setresgid(g, g, g) != 0) {
            return fail("setgid");
        }
    }
    if (strcmp(uid, "-") != 0) {
        uid_t u = (uid_t)strtoul(uid, NULL, 10);
        if (setresuid(u, u, u) != 0) {
            return fail("setuid");
        }
    }
    execv(argv[i + 4], argv + i + 4);
    return fail("exec");
}

static int init(char **argv) {
    /* Only ever process 1 of a new pid namespace: kill(-1) below would reach the whole host. */
    if (getpid() != 1) {
        fputs("runner-init: must run as pid 1 of a sandbox (bwrap --as-pid-1)\n", stderr);
        return 122;
    }
    int report = atoi(argv[1]);
    pid_t program = fork();
    if (program < 0) {
        perror("runner-init: fork");
        return 121;
    }
    if (program == 0) {
        close(report);
        execv(argv[2], argv + 2);
        perror("runner-init: exec");
        _exit(127);
    }
    int status = 0;
    int program_status = -1;
    for (;;) {
        pid_t pid = wait(&status);
        if (pid == program) {
            program_status = status;
            break;
        }
        if (pid < 0 && errno != EINTR) {
            break;
        }
    }
    /* From the namespace's init, -1 means every other process in the namespace. */
    kill(-1, SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    long long cpu_us = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL +
                       usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
    dprintf(report, "%d %lld %ld\n", program_status, cpu_us, usage.ru_maxrss);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--launch") == 0) {
        return launch(argc, argv);
    }
    if (argc < 3) {
        fputs("usage: runner-init REPORT_FD PROGRAM [ARG...] | --launch ...\n", stderr);
        return 120;
    }
    return init(argv);
}
