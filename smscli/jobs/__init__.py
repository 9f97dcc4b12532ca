"""The application layer of `send` and `batch`: a job is planned (its chunks, each carrying
what it sends), recorded in the history before its first request leaves, run by the engine
(smscli.sending) at the command's pace, closed, and its outcome turned into an exit code; a
resume plans what may be sent again. Commands call this package and render what it returns;
it never prints, prompts or calls back into them.

    plan.chunked / plan.plan_send / batchrequests.chunks the requests, each carrying its text
    run.open_job -> run.run (close_job inside) -> run.exit_code
    resume.resume_chunks + resume.resume_text          then the same run.run
"""
