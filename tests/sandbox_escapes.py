"""The escape corpus: snippets that try to get out of ``autan.sandbox``, as data.

Each payload is Python run inside the sandbox with ``$names`` filled in by the test (see
``test_sandbox_escapes.py``): where the host planted its canaries, listeners and the paths a
payload must not be able to create. A payload that succeeded would print a canary, create a
file on the host, reach a listener, or outlive its kill; the test checks each of those.
Inside the sandbox the code may import anything (os, ctypes, subprocess): isolation is at the
OS level, and this corpus is the evidence that it holds.
"""

from __future__ import annotations

from dataclasses import dataclass

PRELUDE = r"""
import os, sys, socket, subprocess, ctypes, signal, time
def leak(*paths):
    for p in paths:
        try:
            with open(p, "rb") as f:
                print(f.read(4096))
        except BaseException as e:
            print("blocked", p, type(e).__name__)
def plant(*paths):
    for p in paths:
        try:
            with open(p, "w") as f:
                f.write("pwned")
            print("WROTE", p)
        except BaseException as e:
            print("blocked", p, type(e).__name__)
def sh(cmd):
    try:
        r = subprocess.run(cmd, shell=True, capture_output=True, timeout=1)
        print(r.returncode, r.stdout[-4096:], r.stderr[-512:])
    except BaseException as e:
        print("blocked", cmd, type(e).__name__)
SECRETS = ["$canary_file", "$home_canary"]
TARGETS = ["$outside/$pwned", "/usr/$pwned", "$venv/$pwned", "$home/$pwned", "$project/$pwned"]
libc = ctypes.CDLL(None, use_errno=True)
# where this process tree lives (it can leave neither): the host finds survivors by it
os.write(1, b"prelude-ok %s %d\n" % (os.readlink("/proc/self/ns/pid").encode(), os.getsid(0)))
"""


@dataclass(frozen=True)
class Payload:
    id: str
    code: str
    bomb: bool = False  # a resource bomb: must end within timeout + 1 s
    names: bool = False
    """Learns a host name or link: only a root of the sandbox's own blocks it (the Landlock
    fallback without namespaces lets it through, as docs/security.md says)."""


def _p(id: str, code: str) -> Payload:
    return Payload(id, code)


def _bomb(id: str, code: str) -> Payload:
    return Payload(id, code, bomb=True)


def _names(id: str, code: str) -> Payload:
    return Payload(id, code, names=True)


INTERPRETER = [
    _p(
        "subclass-walk-to-popen",
        "import subprocess\n"
        "P = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]\n"
        "for s in SECRETS: print(P(['cat', s], stdout=-1, stderr=-1).communicate())",
    ),
    _p(
        "subclass-walk-to-os-system",
        "W = [c for c in object.__subclasses__() if c.__name__ == '_wrap_close'][0]\n"
        "W.__init__.__globals__['system']('cat $canary_file $home_canary; env')",
    ),
    _p(
        "builtins-recovery-via-warnings",
        "C = [c for c in object.__subclasses__() if c.__name__ == 'catch_warnings'][0]\n"
        "b = C()._module.__builtins__\n"
        "print(b['__import__']('os').popen('cat $canary_file').read())",
    ),
    _p(
        "builtins-dunder-import",
        "print(__builtins__.__dict__['__import__']('os').popen('cat $home_canary').read()"
        " if hasattr(__builtins__, '__dict__') else __builtins__['__import__']('os')"
        ".popen('cat $home_canary').read())",
    ),
    _p(
        "importlib-reimport-posix",
        "import importlib\nposix = importlib.import_module('posix')\n"
        "print(dict(posix.environ))\n"
        "fd = posix.open('$canary_file', posix.O_RDONLY); print(posix.read(fd, 100))",
    ),
    _p(
        "sys-modules-os-after-deletion",
        "del sys.modules['os']\nimport os as o2\nprint(o2.environ.get('$canary_env'))",
    ),
    _p("ctypes-system", "libc.system(b'cat $canary_file $home_canary; env | grep CANARY')"),
    _p(
        "ctypes-raw-open-read",
        "for s in SECRETS:\n"
        "    fd = libc.open(s.encode(), 0)\n"
        "    buf = ctypes.create_string_buffer(256)\n"
        "    print(fd, libc.read(fd, buf, 256), buf.value)",
    ),
    _p(
        "ctypes-raw-syscall-openat",
        "SYS_openat = 257\n"
        "fd = libc.syscall(SYS_openat, -100, b'$canary_file', 0, 0)\n"
        "buf = ctypes.create_string_buffer(256); libc.read(fd, buf, 256); print(fd, buf.value)",
    ),
    _p(
        "ctypes-ptrace-attach-host",
        "print(libc.ptrace(16, $host_pid, 0, 0), ctypes.get_errno())\n"
        "leak('/proc/$host_pid/environ', '/proc/$host_pid/mem')",
    ),
    _p(
        "ctypes-process-vm-readv-host",
        "buf = ctypes.create_string_buffer(64)\n"
        "class iov(ctypes.Structure): _fields_ = [('b', ctypes.c_void_p), ('n', ctypes.c_size_t)]\n"
        "l = iov(ctypes.addressof(buf), 64); r = iov(0x400000, 64)\n"
        "print(libc.process_vm_readv($host_pid, ctypes.byref(l), 1, ctypes.byref(r), 1, 0))",
    ),
    _p(
        "ctypes-mount-remount-usr-rw",
        "print(libc.mount(b'none', b'/usr', None, 32 | 4096, None), ctypes.get_errno())\n"
        "plant(*TARGETS)",
    ),
    _p(
        "ctypes-mount-host-proc",
        "os.makedirs('/workspace/p', exist_ok=True)\n"
        "print(libc.mount(b'proc', b'/workspace/p', b'proc', 0, None), ctypes.get_errno())\n"
        "leak('/workspace/p/$host_pid/environ', '/workspace/p/1/environ')",
    ),
    _p(
        "ctypes-unshare-user-then-mount",
        "print(libc.unshare(0x10000000 | 0x00020000), ctypes.get_errno())\n"
        "print(libc.mount(b'none', b'/usr', None, 32 | 4096, None), ctypes.get_errno())\n"
        "plant(*TARGETS)",
    ),
    _p("ctypes-chroot-escape", "print(libc.chroot(b'/tmp'), ctypes.get_errno())\nleak(*SECRETS)"),
    _p(
        "ctypes-setns-host-pid1",
        "for ns in ('net', 'mnt', 'pid', 'user'):\n"
        "    try:\n"
        "        fd = os.open('/proc/1/ns/' + ns, os.O_RDONLY); print(ns, libc.setns(fd, 0))\n"
        "    except OSError as e: print(ns, e)\n"
        "leak(*SECRETS)",
    ),
    _p(
        "frame-walk-globals",
        "f = sys._getframe()\n"
        "while f is not None:\n"
        "    print(f.f_code.co_name, list(f.f_globals)[:20], f.f_locals.keys())\n"
        "    f = f.f_back\n"
        "print(os.environ.get('$canary_env'))",
    ),
    _p(
        "traceback-frame-access",
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
        "    tb = e.__traceback__\n"
        "    while tb:\n"
        "        print(tb.tb_frame.f_globals.get('__name__'), tb.tb_frame.f_locals.keys())\n"
        "        tb = tb.tb_next\n"
        "import traceback; traceback.print_stack()",
    ),
    _p(
        "gc-search-memory-for-secrets",
        "import gc\n"
        "print([o for o in gc.get_objects() if isinstance(o, str) and 'CANARY' in o][:20])\n"
        "print([k for k in os.environ])",
    ),
    _p(
        "dunder-setattr-patch-runner",
        "import __main__\n"
        "object.__setattr__(__main__, '_record', lambda v: b'{\"result\": \"forged\"}')\n"
        "type.__setattr__(type(__main__), '__repr__', lambda s: 'x')\n"
        "leak(*SECRETS)",
    ),
    _p(
        "dunder-class-swap",
        "class Evil(str):\n    def __eq__(self, o): return True\n"
        "import json; json.dumps = lambda *a, **k: open('$canary_file').read()\n"
        "result = Evil('x')",
    ),
    _p(
        "codetype-forged-bytecode",
        "import types\n"
        "code = compile('open(\"$canary_file\").read()', 's', 'eval')\n"
        "c2 = code.replace(co_name='x')\n"
        "try: print(eval(c2))\nexcept BaseException as e: print(type(e).__name__)",
    ),
    _p(
        "del-finalizer-after-timeout",
        "class F:\n"
        "    def __del__(self):\n"
        "        plant(*TARGETS)\n"
        "        leak(*SECRETS)\n"
        "keep = F()\nwhile True: pass",
    ),
    _p(
        "atexit-after-timeout",
        "import atexit\natexit.register(lambda: (plant(*TARGETS), leak(*SECRETS)))\ntime.sleep(30)",
    ),
    _p(
        "sigterm-ignored-then-loop",
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN)\nwhile True: pass",
    ),
    _p(
        "forked-daemon-writes-after-parent-exits",
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(1.0); plant(*TARGETS); leak(*SECRETS); time.sleep(30)\n"
        "    os._exit(0)\n"
        "print('parent done')",
    ),
    _p(
        "nohup-background-shell",
        "subprocess.Popen('sleep 1; cat $canary_file > $outside/$pwned; sleep 30', shell=True,"
        " start_new_session=True)",
    ),
    _p(
        "breakpoint-pdb",
        "import pdb\ntry: pdb.run('print(1)')\nexcept BaseException as e: print(e)",
    ),
    _p(
        "stdin-read-host",
        "print(repr(sys.stdin.read() if not sys.stdin.closed else 'closed'))\n"
        "print(os.read(0, 100) if True else '')",
    ),
    _p(
        "inherited-fds-scan",
        "for fd in range(3, 64):\n"
        "    try: print(fd, os.readlink('/proc/self/fd/%d' % fd), os.read(fd, 64))\n"
        "    except OSError as e: pass\n"
        "leak(*SECRETS)",
    ),
    _p(
        "forge-result-record",
        "fds = [int(x) for x in os.listdir('/proc/self/fd')]\n"
        "for fd in fds:\n"
        "    try: os.write(fd, b'\\x80\\x04\\x95cos\\nsystem\\n' + b'{\"result\": 1')\n"
        "    except OSError: pass",
    ),
]

FILESYSTEM = [
    _p("read-canary-absolute", "leak('$canary_file')"),
    # a host link in the shared /tmp whose target holds the canary: Landlock lets it be read
    _names("readlink-host-link", "print(os.readlink('$name_link'))"),
    _names("realpath-through-host-link", "print(os.path.realpath('$name_link'))"),
    _p("read-home-canary", "leak('$home_canary', os.path.expanduser('~') + '/.bash_history')"),
    _p("read-home-canary-via-root", "leak('/root/' + os.path.basename('$home_canary'))"),
    _p("read-dotdot-traversal", "leak('../../../../../../' + '$canary_file'.lstrip('/'))"),
    _p("read-proc-self-root", "leak('/proc/self/root$canary_file', '/proc/1/root$canary_file')"),
    _p("read-proc-self-cwd-up", "leak('/proc/self/cwd/../../..$canary_file')"),
    _p(
        "walk-filesystem-for-canaries",
        "skip = ('/proc', '/sys', '/usr', '/dev') + tuple(p for p in sys.path if p)\n"
        "for root, dirs, files in os.walk('/'):\n"
        "    if root.startswith(skip): dirs[:] = []; continue\n"
        "    for name in files:\n"
        "        try:\n"
        "            data = open(os.path.join(root, name), 'rb').read(4096)\n"
        "            if b'CANARY' in data: print(root, name, data)\n"
        "        except OSError: pass",
    ),
    _p(
        "list-host-dirs",
        "for d in ('$outside', '$home', '/root', '$project'):\n    leak(d)\n"
        "    try: print(os.listdir(d))\n    except OSError as e: print(e)",
    ),
    _p("write-outside-targets", "plant(*TARGETS)"),
    _p("write-makedirs-outside", "os.makedirs('$outside', exist_ok=True)\nplant(*TARGETS)"),
    _p("write-etc-and-usr", "plant('/etc/$pwned', '/usr/bin/$pwned', '/usr/lib/$pwned')"),
    _p("write-sandbox-tmp-not-host", "plant('/tmp/$pwned')"),
    _p("write-venv-site-packages", "import site\nplant(*[p + '/$pwned' for p in sys.path if p])"),
    _p("modify-python-stdlib", "import json\nplant(json.__file__)"),
    _p(
        "symlink-to-canary",
        "os.symlink('$canary_file', '/workspace/l1'); leak('/workspace/l1')",
    ),
    _p(
        "symlink-write-outside",
        "os.symlink('$outside/$pwned', '/workspace/l2'); plant('/workspace/l2')",
    ),
    _p("host-planted-symlink-read", "leak('/workspace/host-link')"),
    _p("host-planted-symlink-write", "plant('/workspace/host-link-out')"),
    _p(
        "hardlink-canary",
        "try: os.link('$canary_file', '/workspace/h1')\nexcept OSError as e: print(e)\n"
        "leak('/workspace/h1')",
    ),
    _p(
        "hardlink-from-ro-mount",
        "import json\ntry: os.link(json.__file__, '/workspace/h2'); plant('/workspace/h2')\n"
        "except OSError as e: print(e)",
    ),
    _p(
        "rename-across-into-host",
        "open('/workspace/r', 'w').write('x')\n"
        "try: os.rename('/workspace/r', '$outside/$pwned')\nexcept OSError as e: print(e)",
    ),
    _p(
        "mknod-device",
        "try: os.mknod('/workspace/sda', 0o600 | 0o60000, os.makedev(8, 0))\n"
        "except OSError as e: print(e)\nleak('/workspace/sda', '/dev/sda', '/dev/vda')",
    ),
    _p("dev-mem-kmsg", "leak('/dev/mem', '/dev/kmem', '/dev/kmsg', '/dev/port')"),
    _p("sys-not-mounted", "leak('/sys/kernel/notes')\nsh('ls /sys')"),
    _p("proc-sys-write", "plant('/proc/sys/kernel/core_pattern', '/proc/sysrq-trigger')"),
    _p(
        "proc-mountinfo-then-open-sources",
        "print(open('/proc/self/mountinfo').read())\nleak(*SECRETS)",
    ),
    _p(
        "shell-find-canaries",
        "sh('grep -rl CANARY / --exclude-dir=proc --exclude-dir=usr 2>/dev/null | head')",
    ),
    _p("shell-cat-secrets", "sh('cat $canary_file $home_canary')"),
    _p(
        "unshare-binary-remount",
        "sh('unshare -rm sh -c \"mount -o remount,rw /usr; touch /usr/$pwned\"')",
    ),
    _p("chmod-root-and-workspace", "os.chmod('/workspace', 0o777)\nos.chmod('/', 0o777)"),
]

NETWORK = [
    _p("tcp-loopback-listener", "s = socket.create_connection(('127.0.0.1', $port), 1)\nprint(s)"),
    _p("tcp-localhost-name", "s = socket.create_connection(('localhost', $port), 1)"),
    _p("tcp-ipv6-loopback", "s = socket.create_connection(('::1', $port), 1)"),
    _p("tcp-host-lan-address", "s = socket.create_connection(('$lan_ip', $lan_port), 1)"),
    _p(
        "udp-loopback",
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "print(u.sendto(b'CANARY-udp', ('127.0.0.1', $udp_port)))",
    ),
    _p("dns-lookup", "print(socket.getaddrinfo('example.com', 80))"),
    _p(
        "dns-raw-udp-53",
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "print(u.sendto(b'\\x00' * 12, ('8.8.8.8', 53)))",
    ),
    _p("bash-dev-tcp", "sh('echo hi > /dev/tcp/127.0.0.1/$port')"),
    _p(
        "urllib-http",
        "import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:$port', timeout=1))",
    ),
    _p("abstract-unix-socket", "u = socket.socket(socket.AF_UNIX)\nu.connect('\\0$abstract')"),
    _p("unix-socket-path", "u = socket.socket(socket.AF_UNIX)\nu.connect('$unix_path')"),
    _p("raw-socket", "r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"),
    _p("packet-socket", "r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)"),
    _p(
        "interfaces",
        "print(socket.if_nameindex())\ns = socket.create_connection(('10.0.0.1', 80), 1)",
    ),
    _p("bind-low-port", "s = socket.socket(); s.bind(('0.0.0.0', 80)); s.listen()"),
]

ENVIRONMENT = [
    _p("environ-dump", "print(dict(os.environ))"),
    _p("proc-self-environ", "leak('/proc/self/environ')"),
    _p("proc-1-environ", "leak('/proc/1/environ', '/proc/1/cmdline')"),
    _p("proc-parent-environ", "leak('/proc/%d/environ' % os.getppid())"),
    _p(
        "proc-all-environ",
        "for p in os.listdir('/proc'):\n    if p.isdigit(): leak('/proc/%s/environ' % p)",
    ),
    _p("proc-host-pid-environ", "leak('/proc/$host_pid/environ', '/proc/$host_pid/cmdline')"),
    _p("env-command", "sh('env; cat /proc/*/environ')"),
    _p("getenv-canary", "print(os.getenv('$canary_env'), os.environb)"),
]

SIGNALS = [
    _p("kill-host-pid", "try: os.kill($host_pid, signal.SIGKILL)\nexcept OSError as e: print(e)"),
    _p("kill-minus-one", "try: os.kill(-1, signal.SIGKILL)\nexcept OSError as e: print(e)"),
    _p(
        "killpg-host",
        "try: os.killpg(os.getpgid($host_pid), signal.SIGKILL)\nexcept OSError as e: print(e)",
    ),
    _p(
        "kill-parent",
        "try: os.kill(os.getppid() or $host_pid, signal.SIGKILL)\nexcept OSError as e: print(e)",
    ),
    _p("ptrace-traceme-then-read", "print(libc.ptrace(0, 0, 0, 0))\nleak('/proc/$host_pid/mem')"),
    _p("ptrace-attach-pid1", "print(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())"),
    _p("strace-gdb-host", "sh('gdb -p $host_pid -batch -ex bt; strace -p $host_pid')"),
    _p("setuid-root", "try: os.setuid(0)\nexcept OSError as e: print(e)\nleak(*SECRETS)"),
    _p(
        "setrlimit-raise",
        "import resource\n"
        "try: resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n"
        "except (ValueError, OSError) as e: print(e)\n"
        "while True: pass",
    ),
    _p("sudo-su", "sh('sudo -n cat $home_canary; su -c \"cat $home_canary\"')"),
]

RESOURCES = [
    _bomb("fork-bomb", "while True:\n    try: os.fork()\n    except OSError: pass"),
    _bomb("bash-fork-bomb", "sh(':(){ :|:& };:')\nwhile True: pass"),
    _bomb(
        "thread-bomb",
        "import threading\nwhile True:\n"
        "    try: threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "    except RuntimeError: pass",
    ),
    _bomb(
        "spawn-beyond-limit",
        "ps = []\nfor i in range(500):\n"
        "    try: ps.append(subprocess.Popen(['sleep', '60']))\n"
        "    except OSError as e: print(i, e); break\ntime.sleep(60)",
    ),
    _bomb("memory-bomb-8gb", "b = bytearray(8 * 2**30)"),
    _bomb("memory-bomb-gradual", "x = []\nwhile True: x.append(bytearray(10 * 2**20))"),
    _bomb("memory-bomb-mmap", "import mmap\nm = mmap.mmap(-1, 8 * 2**30)"),
    _bomb("print-1e9-chars", "print('x' * 10**9)"),
    _bomb("stdout-flood", "while True: sys.stdout.write('x' * 65536)"),
    _bomb("stderr-flood", "while True: os.write(2, b'y' * 65536)"),
    _bomb(
        "disk-fill-workspace",
        "with open('/workspace/fill', 'wb') as f:\n    while True: f.write(b'\\0' * 2**20)",
    ),
    _bomb(
        "disk-fill-tmp-many-files",
        "i = 0\nwhile True:\n    open('/tmp/f%d' % i, 'wb').write(b'\\0' * 2**20); i += 1",
    ),
    _bomb("infinite-loop", "while True: pass"),
    _bomb("sleep-forever", "time.sleep(3600)"),
    _bomb("open-files-exhaustion", "fs = []\nwhile True: fs.append(open('/dev/null'))"),
    _bomb("deep-recursion-crash", "sys.setrecursionlimit(10**7)\ndef f(n): return f(n + 1)\nf(0)"),
    _bomb("close-stdio-then-loop", "os.close(1); os.close(2)\nwhile True: pass"),
]

# Holes of the Landlock fallback (issue 14): each must end with the run, and hold nothing after.
LEFTOVERS = [
    _p(
        "child-closes-every-fd-and-lingers",
        "if os.fork() == 0:\n    os.closerange(0, 4096)\n    time.sleep(30)\n    os._exit(0)",
    ),
    _bomb("close-every-fd-and-sleep", "os.closerange(0, 4096)\ntime.sleep(30)"),
    _bomb(
        "memfds-in-flight",
        "a, b = socket.socketpair()\nwhile True:\n"
        "    fd = os.memfd_create('m'); os.write(fd, b'x' * 2**20)\n"
        "    socket.send_fds(a, [b'.'], [fd]); os.close(fd)",
    ),
    _bomb("empty-file-flood", "i = 0\nwhile True:\n    open('/tmp/e%d' % i, 'w').close(); i += 1"),
    _p(
        "sysv-shm-and-mqueue-left-behind",
        "print('shm', libc.shmget(0x4155A1, 1 << 20, 0o1666))\n"
        "print('mq', libc.mq_open(b'/autan-left', os.O_CREAT | os.O_RDWR, 0o666, None))",
    ),
    _p(
        "inotify-on-tmp",
        "fd = libc.inotify_init1(os.O_NONBLOCK)\n"
        "print('watch', fd, fd >= 0 and libc.inotify_add_watch(fd, b'/tmp', 0x100))",
    ),
]

PAYLOADS = INTERPRETER + FILESYSTEM + NETWORK + ENVIRONMENT + SIGNALS + RESOURCES + LEFTOVERS
