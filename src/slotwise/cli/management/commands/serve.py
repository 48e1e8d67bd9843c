import errno
import os
import signal
import socket
import subprocess
import sys

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run Slotwise: migrate, then serve HTTP with gunicorn and work the job queue alongside."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SLOTWISE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SLOTWISE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SLOTWISE_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SLOTWISE_WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true", help="do not start a job worker alongside")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **opts):
        port_is_free(opts["host"], opts["port"])
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        from slotwise.bookings import tzdata
        from slotwise.core.clock import utc_now

        tzdata.startup(now=utc_now())  # under a new tzdata: review the upcoming bookings (--no-worker too)
        worker = None
        if not opts["no_worker"] and "worker" in get_commands():
            worker = subprocess.Popen([sys.executable, "-m", "slotwise", "worker"])
            self.stdout.write(f"job worker started (pid {worker.pid})")
        self.stdout.write(f"Slotwise is running at http://{opts['host']}:{opts['port']}/  (Ctrl+C stops it)")
        try:
            _Gunicorn(gunicorn_options(opts)).run()
        finally:
            if worker and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=20)


def port_is_free(host: str, port: int) -> None:
    """Say so before anything starts when another program holds the port, and how to serve elsewhere."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use (another Slotwise, or another program). "
                    f"Serve on another port: ./run start --port {port + 1}  (or slotwise serve --port {port + 1})"
                ) from None
            raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def gunicorn_options(opts: dict) -> dict:
    """gunicorn 27 opens a control socket, by default in ~/.gunicorn/ (shared by every install of the
    user); ours lives under the data directory, readable by its owner only (mode 0600). A path too long for
    a Unix socket (about 100 bytes) turns the control socket off rather than failing the start."""
    from django.conf import settings

    options = {
        "bind": f"{opts['host']}:{opts['port']}",
        "workers": opts["workers"],
        "threads": opts["threads"],
        "worker_class": "gthread",
        # JSON logs carry their own access line, with the request id (core/logs.py); text logs keep gunicorn's.
        "accesslog": None if settings.SLOTWISE_LOG_FORMAT == "json" else "-",
        "timeout": 60,
        "child_exit": _forget_dead_worker_metrics,
    }
    socket_path = str(settings.DATA_DIR / "gunicorn.ctl")
    if len(socket_path.encode()) < 100:
        options.update(control_socket=socket_path, control_socket_mode=0o600)
    else:
        options["control_socket_disable"] = True
    return options


def _forget_dead_worker_metrics(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _Gunicorn(options):
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from slotwise.config.wsgi import application

            return application

    return App()
