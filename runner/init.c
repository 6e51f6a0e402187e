/*
 * runner-init: process 1 of every sandbox (bwrap --as-pid-1).
 *
 *   runner-init REPORT_FD PROGRAM [ARG...]
 *
 * Forks and execs the program, reaps every process of the namespace until the program exits,
 * kills what is left, and writes one line to REPORT_FD:
 *
 *   <wait status of the program> <CPU microseconds of all reaped processes> <max RSS KiB>
 *
 * It refuses to run unless it is process 1 (of a new pid namespace). As the namespace's init it
 * ignores every signal sent from inside the sandbox (the kernel drops signals to a namespace's
 * init that it has no handler for), so the program cannot kill the process that measures it. Written for PeerPrep's runner; compiled at start (or in the
 * image) with: cc -O2 -static -o runner-init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: runner-init REPORT_FD PROGRAM [ARG...]\n", stderr);
        return 120;
    }
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
