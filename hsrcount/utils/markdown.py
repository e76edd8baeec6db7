"""Writing measured sections into the docs."""
import os.path as osp
import re
from typing import Sequence


def update_markdown_section(path: str, title: str, lines: Sequence[str],
                            level: int = 2) -> None:
    """Replace (or append) the section ``title`` of a Markdown file.

    The section is delimited by HTML comments naming it, so the rest of the
    file (written by hand or by other tools) is kept.

    Args:
        path (str): The Markdown file; created if missing.
        title (str): The section's heading.
        lines (Sequence[str]): Its body, one string per line.
        level (int): Heading level. Default: 2.
    """
    key = re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')
    start, end = f'<!-- benchmark:{key} -->', f'<!-- /benchmark:{key} -->'
    block = '\n'.join([start, f'{"#" * level} {title}', ''] + list(lines) +
                      [end])
    text = open(path).read() if osp.isfile(path) else f'# {title}\n'
    pattern = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(text)
