"""Jobs: training, rescoring and exports run by workers (`manage.py db_worker`), the record
people follow (`Job`), and automatic retraining. Only `runner` talks to the task backend."""
