"""Started through PYTHONPATH in a `fivetran debug` subprocess: run it at another time.

`SHIFTED_CLOCK_SECONDS` (a float) moves the process's clock by that many seconds from its start
on, ticking normally (time-machine), so an end-to-end test can run a sync "three hours ago"
against a simulator whose clock is moved the same way. The connector's code is untouched.
"""

import os

_shift = os.environ.get("SHIFTED_CLOCK_SECONDS")
if _shift:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_shift), tick=True).start()
