"""Reading the files admins add to the knowledge base (architecture.md section 3)."""
