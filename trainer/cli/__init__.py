"""The command line: `mgtrain VERB` (trainer.cli.main) and one module per verb, each with `run(argv)`.

May import every other package; nothing imports it. The process-wide tuning of glibc's allocator
(trainer.cli.memory) is made here only, never by the library.
"""
