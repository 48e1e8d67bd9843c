import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from slotwise.jobs.worker import Worker

log = logging.getLogger("slotwise.worker")


class Command(BaseCommand):
    help = "Work the background job queue: emails, invitations, reminders, webhooks, calendar writes."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=1, help="worker threads in this process (default 1)")
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help="seconds between looks at the queue when no wake-up arrives (default 0.5)",
        )

    def handle(self, *args, concurrency, once, interval, **options):
        if concurrency < 1 or concurrency > 64:
            raise CommandError("--concurrency: give a number from 1 to 64")
        if interval <= 0:
            raise CommandError("--interval: give a positive number of seconds")
        from slotwise.core.clock import utc_now
        from slotwise.core.events import publish

        publish("worker.started", now=utc_now())  # e.g. bookings: under a new tzdata, review upcoming bookings
        if once:
            n = Worker(interval=interval).run_once()
            self.stdout.write(f"ran {n} job(s)")
            return
        stop = threading.Event()

        def on_signal(signum, frame):
            log.info("received %s: finishing the jobs in hand, then stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        workers = [Worker(interval=interval, stop=stop) for _ in range(concurrency)]
        threads = [threading.Thread(target=w.loop, name=f"worker-{i}", daemon=True) for i, w in enumerate(workers)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.2)
        self.stdout.write(f"worker stopped after {sum(w.ran for w in workers)} job(s)")
