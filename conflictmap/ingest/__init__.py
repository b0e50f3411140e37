"""Stage 1, articles in: feeds, JSON Lines, folders of text or HTML and addresses read into
``Article`` values (``readers``), with the limits and encodings of files (``files``) and the
guarded HTTP fetch (``fetch``). Imports only the shared modules (models, config, textsafe,
language): reading never depends on what is done with the text afterwards."""
