"""The association's knowledge base as its admins and agents work it (architecture.md section 4,
item 3): documents added, replaced and removed, passages searched, a question tried on the
assistant, and the questions the documents could not answer, answered as FAQ entries."""
