import click


@click.command("check-html")
def check_html() -> None:
    """Placeholder until the footer check lands."""
