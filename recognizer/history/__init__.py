"""The history of drawings: guessing and storing them, labelling them, and what is read
from them (lists, statistics, exports, rescoring), with the app's own metrics of it."""
