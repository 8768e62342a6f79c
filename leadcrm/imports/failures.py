"""What a person reads when an import stops on its own: one message per cause, saying what happened,
that the rows imported so far are kept, and what to do next."""
from sqlalchemy.exc import OperationalError

from leadcrm.imports.engine.prefetch import ParserStopped
from leadcrm.imports.workbook.reader import TooManyRows, Unreadable


def failure_message(error: BaseException) -> str:
    """The message of an import that failed on this error."""
    if isinstance(error, FileNotFoundError):
        return ("The uploaded file is no longer on the server, so the import cannot continue. "
                "Upload the file again; the rows imported so far are kept.")
    if isinstance(error, OperationalError):
        return (f"The database refused the import ({str(error.orig).splitlines()[0]}). Check that the database "
                "is reachable and has space, then upload the file again; the rows imported so far are kept.")
    if isinstance(error, ParserStopped):
        return (f"{error} The machine may be short of memory. The rows imported so far are kept; "
                "an administrator can resume the import with Re-queue on the System Health page.")
    if isinstance(error, TooManyRows):
        return f"{error} The rows imported so far are kept."
    if isinstance(error, Unreadable):
        return (f"The workbook could not be read ({error}). Open and save it in Excel, then upload it again; "
                "the rows imported so far are kept.")
    if isinstance(error, KeyboardInterrupt):
        return "The import was interrupted (Ctrl-C). The rows imported so far are kept."
    return (f"The import stopped on an unexpected error ({type(error).__name__}: {error}). "
            "The rows imported so far are kept; report this message to your administrator.")


def gave_up_message(attempts: int) -> str:
    """The message of an import whose worker died too many times."""
    return (f"The import was interrupted {attempts} times (its worker stopped or was killed each time), "
            "so it was not started again. The rows imported so far are kept. Check the worker's memory "
            "and logs, then re-queue it from System Health: it resumes from its last checkpoint.")
