"""The projector: the one long-lived process that keeps Prefect in step with the record.

It drives each dossier's flow run (`flows/dossier.py`), executing it in its own process, where
Prefect is already imported: a Resume from the UI, a fact from the CLI or an import, a lost or
broken run all end up here. `medstay up` starts it; ops beside their own Prefect run
`medstay projector`.
"""
