"""Many documents, one job: resumable runs over a file of rows (``resumable``) and the writer's
batch of documents (``documents``)."""
