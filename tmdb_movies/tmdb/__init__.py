"""TMDB (The Movie Database) pieces of the tmdb_movies connector: its tables and their rows."""
