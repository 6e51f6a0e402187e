"""Programs the runner's tests run: hostile ones, per language, with the verdicts they must get."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.stack import ROOT

__all__ = ["BROKEN", "CRASH", "HELLO", "HOSTILE", "SUM", "Hostile"]

HELLO = {
    "python": "print('hello')",
    "javascript": "console.log('hello')",
    "java": 'public class Main { public static void main(String[] a) { System.out.println("hello"); } }',
    "cpp": '#include <cstdio>\nint main() { std::puts("hello"); }',
}

# Reads two integers per line until the end of input and prints their sum.
SUM = {
    "python": "import sys\nfor line in sys.stdin:\n    a, b = map(int, line.split())\n    print(a + b)",
    "javascript": (
        "const lines = require('fs').readFileSync(0, 'utf8').trim().split('\\n');\n"
        "for (const line of lines) { const [a, b] = line.split(' ').map(Number); console.log(a + b); }"
    ),
    "java": (
        "import java.util.*;\npublic class Solution { public static void main(String[] args) {\n"
        "  Scanner in = new Scanner(System.in);\n"
        "  while (in.hasNextLong()) { long a = in.nextLong(), b = in.nextLong(); "
        "System.out.println(a + b); } } }"
    ),
    "cpp": (
        "#include <iostream>\nint main() { long long a, b; "
        "while (std::cin >> a >> b) std::cout << a + b << '\\n'; }"
    ),
}
CRASH = {
    "python": "raise ValueError('boom')",
    "javascript": "throw new Error('boom')",
    "java": 'public class Main { public static void main(String[] a) { throw new IllegalStateException("boom"); } }',
    "cpp": "#include <cstdio>\nint main() { volatile int* p = nullptr; *p = 1; }",
}
BROKEN = {
    "java": "public class Main { public static void main(String[] a) { int x = ; } }",
    "cpp": "int main() { return missing; }",
}


@dataclass(frozen=True)
class Hostile:
    """A program that misbehaves, and the verdicts it may end with."""

    case: str
    language: str
    source: str
    verdicts: frozenset[str]
    # The time the whole request may take (compile included), seconds.
    within_s: float = 10.0


def _java(body: str, imports: str = "") -> str:
    return (
        f"{imports}\npublic class Main {{ public static void main(String[] args) throws Exception "
        f"{{ {body} }} }}"
    )


def _cpp(body: str, includes: str = "") -> str:
    return (
        "#include <cstdio>\n#include <cstdlib>\n#include <csignal>\n#include <unistd.h>\n"
        f"{includes}\nint main() {{ {body} }}"
    )


RE = frozenset({"runtime_error"})
TLE = frozenset({"time_limit"})
MLE = frozenset({"memory_limit"})
OLE = frozenset({"output_limit"})
OK = frozenset({"accepted"})
BOMB = frozenset({"runtime_error", "time_limit"})
HOST_FILE = str(ROOT / "README.md")

_CASES: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    "python": {
        "read_shadow": ("print(open('/etc/shadow').read())", RE),
        "read_host_file": (f"print(open('{HOST_FILE}').read())", RE),
        "escape_through_proc": ("print(open('/proc/1/root/etc/shadow').read())", RE),
        "socket": (
            "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)",
            RE,
        ),
        "fork_bomb": ("import os\nwhile True:\n    os.fork()", BOMB),
        "allocate_2gib": ("b = bytearray(2 * 1024**3)\nprint(len(b))", MLE),
        "infinite_loop": ("while True:\n    pass", TLE),
        "print_100mb": ("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)", OLE),
        "write_1gib_file": (
            "with open('big', 'wb') as f:\n    for _ in range(1024):\n        f.write(bytes(2**20))",
            RE,
        ),
        "sleep_forever": ("import time\ntime.sleep(10**6)", TLE),
        "fill_tmp": (
            "i = 0\nwhile True:\n    with open(f'/tmp/f{i}', 'wb') as f:\n        f.write(bytes(8 * 2**20))\n    i += 1",
            RE,
        ),
        "kill_parent": (
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')",
            OK,
        ),
        "kill_everything": ("import os, signal\nos.kill(-1, signal.SIGKILL)", RE),
    },
    "javascript": {
        "read_shadow": ("console.log(require('fs').readFileSync('/etc/shadow', 'utf8'))", RE),
        "read_host_file": (
            f"console.log(require('fs').readFileSync('{HOST_FILE}', 'utf8'))",
            RE,
        ),
        "socket": (
            "const s = require('net').connect(80, '1.1.1.1');\n"
            "s.on('error', (e) => { console.error(e.code); process.exit(1); });",
            RE,
        ),
        "fork_bomb": (
            "const {spawn} = require('child_process');\n"
            "(function bomb() { try { spawn('/bin/sh', ['-c', 'b(){ b|b& }; b'], {stdio: 'ignore'}).on('error', () => {}); } catch (e) {} setImmediate(bomb); })();",
            BOMB,
        ),
        "allocate_2gib": ("const b = Buffer.alloc(2 * 1024 ** 3, 1); console.log(b.length)", MLE),
        "infinite_loop": ("for (;;) {}", TLE),
        "print_100mb": (
            "const s = 'x'.repeat(1 << 20); for (let i = 0; i < 100; i++) process.stdout.write(s)",
            OLE,
        ),
        "write_1gib_file": (
            "const fs = require('fs'); const fd = fs.openSync('big', 'w');\n"
            "const chunk = Buffer.alloc(1 << 20); for (let i = 0; i < 1024; i++) fs.writeSync(fd, chunk)",
            RE,
        ),
        "sleep_forever": ("setInterval(() => {}, 1e9)", TLE),
        "kill_parent": ("process.kill(process.ppid, 'SIGKILL'); console.log('alive')", OK),
        "kill_everything": ("process.kill(-1, 'SIGKILL')", RE),
    },
    "java": {
        "read_shadow": (
            _java(
                'System.out.println(Files.readString(Path.of("/etc/shadow")));',
                "import java.nio.file.*;",
            ),
            RE,
        ),
        "read_host_file": (
            _java(
                f'System.out.println(Files.readString(Path.of("{HOST_FILE}")));',
                "import java.nio.file.*;",
            ),
            RE,
        ),
        "socket": (_java('new java.net.Socket("1.1.1.1", 80);'), RE),
        "fork_bomb": (
            _java(
                'for (;;) { try { new ProcessBuilder("/bin/sh", "-c", "b(){ b|b& }; b")'
                ".redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();"
                " } catch (Exception e) { } }"
            ),
            BOMB,
        ),
        "thread_bomb": (
            _java(
                "for (;;) new Thread(() -> { try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { } }).start();"
            ),
            BOMB,
        ),
        "allocate_2gib": (
            _java("long[] a = new long[1 << 28]; System.out.println(a.length);"),
            MLE,
        ),
        "infinite_loop": (_java("long i = 0; while (true) { i++; }"), TLE),
        "print_100mb": (
            _java(
                'String s = "x".repeat(1 << 20); for (int i = 0; i < 100; i++) System.out.print(s);'
                " System.out.flush();"
            ),
            OLE,
        ),
        "write_1gib_file": (
            _java(
                'try (var f = new java.io.FileOutputStream("big")) { byte[] b = new byte[1 << 20];'
                " for (int i = 0; i < 1024; i++) f.write(b); }"
            ),
            RE,
        ),
        "sleep_forever": (_java("Thread.sleep(Long.MAX_VALUE);"), TLE),
        "kill_parent": (
            _java(
                "ProcessHandle.current().parent().ifPresent(ProcessHandle::destroyForcibly);"
                ' Thread.sleep(100); System.out.println("alive");'
            ),
            OK,
        ),
        "kill_everything": (
            _java(
                'new ProcessBuilder("/bin/sh", "-c", "kill -9 -1").start().waitFor(); Thread.sleep(1000);'
            ),
            RE,
        ),
    },
    "cpp": {
        "read_shadow": (
            _cpp(
                'FILE* f = std::fopen("/etc/shadow", "r"); if (!f) { std::perror("open"); return 1; }'
            ),
            RE,
        ),
        "read_host_file": (
            _cpp(
                f'FILE* f = std::fopen("{HOST_FILE}", "r"); if (!f) {{ std::perror("open"); return 1; }}'
            ),
            RE,
        ),
        "socket": (
            _cpp(
                "int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET;"
                ' a.sin_port = htons(80); inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);'
                ' if (connect(s, (sockaddr*)&a, sizeof a) != 0) { std::perror("connect"); return 1; }',
                "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>",
            ),
            RE,
        ),
        "fork_bomb": (_cpp("for (;;) fork();"), BOMB),
        "allocate_2gib": (
            _cpp(
                'std::vector<char> v(2LL << 30, 1); std::printf("%zu\\n", v.size());',
                "#include <vector>",
            ),
            MLE,
        ),
        "infinite_loop": (_cpp("volatile unsigned long i = 0; for (;;) i++;"), TLE),
        "print_100mb": (
            _cpp(
                "static char b[1 << 20]; for (int i = 0; i < 100; i++) std::fwrite(b, 1, sizeof b, stdout);"
            ),
            OLE,
        ),
        "write_1gib_file": (
            _cpp(
                'FILE* f = std::fopen("big", "wb"); static char b[1 << 20];'
                " for (int i = 0; i < 1024; i++) if (std::fwrite(b, 1, sizeof b, f) != sizeof b) return 1;"
                " return std::fclose(f) == 0 ? 0 : 1;"
            ),
            RE,
        ),
        "sleep_forever": (_cpp("for (;;) sleep(1000);"), TLE),
        "kill_parent": (_cpp('kill(getppid(), SIGKILL); usleep(100000); std::puts("alive");'), OK),
        "kill_everything": (
            _cpp(
                'if (kill(-1, SIGKILL) != 0) { std::perror("kill"); return 1; } std::puts("alive");'
            ),
            RE,
        ),
    },
}

HOSTILE = [
    Hostile(case, language, source, verdicts)
    for language, cases in _CASES.items()
    for case, (source, verdicts) in cases.items()
]
