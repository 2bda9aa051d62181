"""Commands and callbacks: click commands through CliRunner, spider callbacks on hand-built
responses."""
