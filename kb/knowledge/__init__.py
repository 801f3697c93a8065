"""What the catalog knows beyond tag rows: tag forms, characters and their trained forms, the author's
caption tables, features and outfits, copyrights, and the curated lists shipped in kb/data."""
