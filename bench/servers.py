"""Real git servers for bench/transports.py, on 127.0.0.1 only, with free
ports, each a context manager that always stops its process: smart HTTP
through `git http-backend` behind lighttpd with basic auth (plain, or
HTTPS through mod_openssl with a CA made here by the openssl CLI), with
lighttpd's own access log; and OpenSSH's sshd with key auth, LogLevel
VERBOSE. The same configuration as the tests' (tests/it/servers.rs).
"""

import contextlib
import os
import pwd
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
LIGHTTPD = "/usr/sbin/lighttpd"
MOD_OPENSSL = "/usr/lib/lighttpd/mod_openssl.so"
SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(cmd, port, log):
    """Starts `cmd`, waits (10 s at most) until it listens on `port`,
    yields, and kills and reaps it whatever happens."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = open(log).read() if os.path.exists(log) else ""
                    raise RuntimeError(f"{cmd[0]} did not listen on {port} (exit {proc.poll()}): {text}")
                time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()  # lighttpd writes out its buffered access log on SIGTERM
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_pki(folder):
    """A CA (P-256, one day, trusted by nobody but this benchmark) and a
    certificate for 127.0.0.1 it signed: returns (ca, cert, key) paths."""
    os.makedirs(folder, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    openssl("req", "-x509", "-nodes", "-days", "1", *ec, "-keyout", "ca.key", "-out", "ca.pem",
            "-subj", "/CN=mlops bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-nodes", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(folder, "server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", "server.ext", "-out", "server.pem")
    return [os.path.join(folder, n) for n in ("ca.pem", "server.pem", "server.key")]


class Http:
    """lighttpd serving every repository under `root` at
    SCHEME://127.0.0.1:PORT/git/NAME, pushes allowed, basic auth required,
    one access log line per request: `"REQUEST" STATUS BYTES-IN BYTES-OUT`."""

    def __init__(self, folder, root, user, password, ca=None):
        self.folder, self.root, self.user, self.password = folder, root, user, password
        self.scheme = "https" if ca else "http"
        self.ca = ca  # (ca, cert, key) from make_pki
        self.port = free_port()
        self.access_log = os.path.join(folder, "access.log")

    def url(self, name, port=None):
        return f"{self.scheme}://127.0.0.1:{port or self.port}/git/{name}"

    @contextlib.contextmanager
    def serve(self):
        os.makedirs(self.folder, exist_ok=True)
        users = os.path.join(self.folder, "users")
        with open(users, "w") as f:
            f.write(f"{self.user}:{self.password}\n")
        error_log = os.path.join(self.folder, "error.log")
        conf = f"""server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi", "mod_accesslog")
server.document-root = "{self.root}"
server.bind = "127.0.0.1"
server.port = {self.port}
server.errorlog = "{error_log}"
accesslog.filename = "{self.access_log}"
accesslog.format = "\\"%r\\" %>s %I %O"
alias.url = ("/git" => "{HTTP_BACKEND}")
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ("" => "")
  setenv.set-environment = ("GIT_PROJECT_ROOT" => "{self.root}", "GIT_HTTP_EXPORT_ALL" => "1", "GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "{self.root}")
  auth.backend = "plain"
  auth.backend.plain.userfile = "{users}"
  auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}}
"""
        if self.ca:
            conf += (f'server.modules += ("mod_openssl")\nssl.engine = "enable"\n'
                     f'ssl.pemfile = "{self.ca[1]}"\nssl.privkey = "{self.ca[2]}"\n')
        path = os.path.join(self.folder, "lighttpd.conf")
        with open(path, "w") as f:
            f.write(conf)
        with running([LIGHTTPD, "-D", "-f", path], self.port, error_log):
            yield self

    def mark(self, label):
        """A request outside /git that leaves `GET /mark/LABEL` in the access
        log, so the log can be cut into runs after the server has stopped
        (lighttpd buffers the log; it is complete only then)."""
        context = ssl.create_default_context(cafile=self.ca[0]) if self.ca else None
        try:
            urllib.request.urlopen(f"{self.scheme}://127.0.0.1:{self.port}/mark/{label}", timeout=5, context=context)
        except urllib.error.HTTPError:
            pass  # a 404 is the point


def requests_by_run(access_log):
    """{label: [(request line, status, bytes in, bytes out)]} for the
    requests logged after each `GET /mark/LABEL`."""
    runs, current = {}, None
    for line in open(access_log):
        request, _, rest = line.rstrip("\n")[1:].rpartition('" ')
        status, bytes_in, bytes_out = rest.split()
        if request.startswith("PRI * HTTP/2"):
            continue  # an HTTP/2 connection's preface (git's curl speaks h2 over TLS), not a request
        if request.startswith("GET /mark/"):
            current = runs.setdefault(request.split()[1][len("/mark/"):], [])
        elif current is not None:
            current.append((request, int(status), int(bytes_in), int(bytes_out)))
    return runs


FORGE_USER = "mlops-forge"


def forge_user():
    """The account SSH sessions run as, like a forge's `git` account: its
    shell is /bin/sh and its home has no rc files. Without it a session
    runs the current user's login shell, and a bench machine's ~/.bashrc
    (Debian's bash reads it for sshd's commands) can cost more than the
    protocol: on this one, `pyenv init` took 0.3 s per session, which no
    forge has. Made once with useradd, as root (`userdel mlops-forge`
    removes it); None when not root: sessions then run as the current
    user, and the report says so. Its home, /var/lib/mlops-forge, stays
    empty."""
    if os.geteuid() != 0:
        return None
    home = "/var/lib/" + FORGE_USER
    try:
        entry = pwd.getpwnam(FORGE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--home-dir", home, "--shell", "/bin/sh", "--password", "*",
                        FORGE_USER], check=True)
        entry = pwd.getpwnam(FORGE_USER)
    if entry.pw_dir != home:
        subprocess.run(["usermod", "--home", home, FORGE_USER], check=True)
    os.makedirs(home, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    return FORGE_USER


def serve_as(user, repos):
    """Hands `repos` to `user`, readable and writable by the benchmark's
    own git too (core.sharedRepository=0666; the sandbox trusts them
    with safe.directory)."""
    for repo in repos:
        subprocess.run(["git", "-C", repo, "config", "core.sharedRepository", "0666"], check=True)
        subprocess.run(["chown", "-R", user, repo], check=True)


class Sshd:
    """sshd on 127.0.0.1 accepting `client_public` (a key file) for `user`
    (default: the current user), logging each accepted key (LogLevel
    VERBOSE) to `log`."""

    def __init__(self, folder, client_public, user=None):
        self.folder, self.client_public = folder, client_public
        self.user = user or pwd.getpwuid(os.geteuid()).pw_name
        self.port = free_port()
        self.log = os.path.join(folder, "sshd.log")
        self.host_key = os.path.join(folder, "host_key")

    def url(self, path, port=None):
        return f"ssh://{self.user}@127.0.0.1:{port or self.port}{path}"

    def known_hosts_line(self, port):
        public = " ".join(open(self.host_key + ".pub").read().split()[:2])
        return f"[127.0.0.1]:{port} {public}\n"

    def accepted(self):
        """How many connections sshd has accepted so far."""
        return open(self.log).read().count("Accepted publickey") if os.path.exists(self.log) else 0

    @contextlib.contextmanager
    def serve(self):
        os.makedirs(self.folder, exist_ok=True)
        keygen(self.host_key)
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)  # sshd as root wants its privilege separation folder
        conf = os.path.join(self.folder, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
                    f"AuthorizedKeysFile {self.client_public}\nPidFile {self.folder}/sshd.pid\n"
                    "StrictModes no\nPubkeyAuthentication yes\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
                    "LogLevel VERBOSE\nMaxStartups 100\n")
        with running([SSHD, "-D", "-f", conf, "-E", self.log], self.port, self.log):
            yield self


def keygen(path):
    """A fresh ed25519 key pair at `path` and `path`.pub, no passphrase."""
    if not os.path.exists(path):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", path], check=True)
    return path + ".pub"
