"""Delivery reports: asking a gateway about msgIds and polling until nothing is pending
(`poll`: query providers, v3), draining a gateway's report queue into the history (`drain`:
queue providers, mobset), what the history adds to an answer (`verdicts`) and what a run
found (`outcome`). No typer, no printing. Which msgIds to ask about is read elsewhere
(smscli.msgids, smscli.selection)."""
