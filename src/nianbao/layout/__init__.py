"""Layout recovery: text → lines → cells/tokens → sections, with line numbers kept throughout."""
