from django.core.management.base import BaseCommand

from evaluation.demo import run_demo


class Command(BaseCommand):
    help = "Run the 2023 smart city competition end to end on the embedded database."

    def handle(self, *args, **options):
        run_demo(self.stdout)
