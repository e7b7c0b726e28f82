"""Reports people read: cost by module scope, Markdown, HTML, model diffs and batches.

Everything here renders or combines finished ``Report`` objects; nothing analyzes
a graph. Heavy modules (html, batch) are imported only by the commands that use them.
"""
