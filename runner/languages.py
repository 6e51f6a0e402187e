"""How each language is compiled and run in the sandbox, and how its runtime reports lack of memory.

Commands are fixed per language and limits (so sandboxes can be set up before a request arrives):
everything that depends on the program itself (Java's class name) is read from the box at launch.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from runner.config import Settings
from runner.models import Language

__all__ = ["BOX", "LanguageSpec", "Runtimes", "java_class_name"]

BOX = "/box"
_JAVA_PUBLIC_CLASS = re.compile(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+(\w+)")
_JAVA_ANY_CLASS = re.compile(r"\bclass\s+(\w+)")


def java_class_name(source: str) -> str:
    """Return the class to compile the source as and to launch: its public class, else Main."""
    match = _JAVA_PUBLIC_CLASS.search(source) or _JAVA_ANY_CLASS.search(source)
    return match.group(1) if match else "Main"


def _first(*candidates: str) -> str:
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return ""


@dataclass(frozen=True)
class Runtimes:
    """Where the interpreters and compilers live (host paths, bound read-only in the sandbox)."""

    python: str
    node: str
    java_home: str
    gxx: str

    @classmethod
    def find(cls, settings: Settings) -> Runtimes:
        """Use the configured paths, else the usual system ones (never a virtualenv's)."""
        javac = shutil.which("javac") or ""
        java_home = settings.java_home or (
            str(Path(javac).resolve().parent.parent) if javac else ""
        )
        return cls(
            python=settings.python or _first("/usr/local/bin/python3", "/usr/bin/python3"),
            node=settings.node or _first("/usr/local/bin/node", "/usr/bin/node"),
            java_home=java_home,
            gxx=settings.gxx or _first("/usr/bin/g++", "/usr/local/bin/g++"),
        )

    def missing(self) -> list[str]:
        """Return the languages whose runtime is not installed."""
        found = {
            Language.PYTHON: Path(self.python).is_file() if self.python else False,
            Language.JAVASCRIPT: Path(self.node).is_file() if self.node else False,
            Language.JAVA: Path(self.java_home, "bin", "javac").is_file()
            if self.java_home
            else False,
            Language.CPP: Path(self.gxx).is_file() if self.gxx else False,
        }
        return [language.value for language, ok in found.items() if not ok]

    def extra_system_dirs(self) -> list[str]:
        """Return directories outside /usr that a runtime needs (the JDK's configuration)."""
        return sorted(str(path) for path in Path("/etc").glob("java-*"))


@dataclass(frozen=True)
class LanguageSpec:
    """One language: its source file, compile and run commands, and out-of-memory markers."""

    language: Language
    compiled: bool
    oom_markers: tuple[str, ...]
    # Messages that look like the markers but mean another limit (processes, not memory).
    not_oom_markers: tuple[str, ...] = ()

    def ran_out_of_memory(self, stderr: str) -> bool:
        """Tell whether the runtime's last words say it ran out of memory."""
        return any(m in stderr for m in self.oom_markers) and not any(
            m in stderr for m in self.not_oom_markers
        )

    def source_name(self, source: str) -> str:
        """Return the file name the source is written to inside the box."""
        return {
            Language.PYTHON: "main.py",
            Language.JAVASCRIPT: "main.js",
            Language.JAVA: f"{java_class_name(source)}.java",
            Language.CPP: "main.cpp",
        }[self.language]

    def compile_command(self, runtimes: Runtimes, source_name: str, memory_mb: int) -> list[str]:
        """Return the compile command (compiled languages only)."""
        if self.language is Language.JAVA:
            return [
                f"{runtimes.java_home}/bin/javac",
                f"-J-Xmx{memory_mb // 2}m",
                "-J-XX:+UseSerialGC",
                "-J-XX:TieredStopAtLevel=1",
                "-J-XX:-UsePerfData",
                "-encoding",
                "UTF-8",
                "-d",
                BOX,
                f"{BOX}/{source_name}",
            ]
        if self.language is Language.CPP:
            return [
                runtimes.gxx,
                "-std=c++17",
                "-O2",
                "-pipe",
                "-o",
                f"{BOX}/main",
                f"{BOX}/{source_name}",
            ]
        raise ValueError(f"{self.language} is not compiled")

    def run_command(self, runtimes: Runtimes, memory_mb: int) -> list[str]:
        """Return the command that runs the program; fixed per language and memory limit."""
        if self.language is Language.PYTHON:
            return [runtimes.python, "-B", f"{BOX}/main.py"]
        if self.language is Language.JAVASCRIPT:
            # V8 collects garbage lazily up to its own heap limit: give it ours.
            return [runtimes.node, f"--max-old-space-size={memory_mb}", f"{BOX}/main.js"]
        if self.language is Language.JAVA:
            # The class to launch is in an argument file written at compile time.
            return [
                f"{runtimes.java_home}/bin/java",
                f"-Xmx{memory_mb}m",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                f"@{BOX}/java.args",
            ]
        return [f"{BOX}/main"]


SPECS: dict[Language, LanguageSpec] = {
    Language.PYTHON: LanguageSpec(Language.PYTHON, False, ("MemoryError",)),
    Language.JAVASCRIPT: LanguageSpec(
        Language.JAVASCRIPT,
        False,
        ("JavaScript heap out of memory", "Array buffer allocation failed", "Out of memory"),
    ),
    Language.JAVA: LanguageSpec(
        Language.JAVA,
        True,
        ("java.lang.OutOfMemoryError", "insufficient memory for the Java Runtime Environment"),
        ("unable to create native thread",),
    ),
    Language.CPP: LanguageSpec(Language.CPP, True, ("std::bad_alloc",)),
}
