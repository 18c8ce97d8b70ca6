#!/usr/bin/python3
"""Checks `ganzoo interpolate --gif` against the strip PNG of the same walk, with a GIF decoder
written here and the studio test's PNG decoder, both from the specs (GIF89a, PNG 1.2), so that
the CLI's encoder is not checked by itself.

    gif_check.py WALK.gif STRIP.png STEPS ROWS

The GIF must loop forever (NETSCAPE2.0), hold 2 x STEPS - 2 frames (there and back), and frame k
must be the strip's column k pixel for pixel (the strip tiles cells with 2 pixels of padding; a
frame stacks the ROWS cells of one step with the same padding)."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'studio'))
import studio_test  # noqa: E402  (its read_png; importing runs nothing)


def read_png(path):
    """(width, height, rows of grey values): the studio test's PNG decoder (written from the spec
    too), with the grey of each RGBA pixel."""
    width, height, rows = studio_test.read_png(path)
    return width, height, [[px[0] for px in row] for row in rows]


def lzw_decode(data, min_size, count):
    clear, end = 1 << min_size, (1 << min_size) + 1
    out, bitpos = [], 0
    table, size, prev = None, min_size + 1, None
    def reset():
        return [[i] for i in range(clear)] + [None, None], min_size + 1
    table, size = reset()
    while True:
        code = 0
        for i in range(size):
            byte = data[(bitpos + i) // 8]
            code |= ((byte >> ((bitpos + i) % 8)) & 1) << i
        bitpos += size
        if code == clear:
            table, size = reset()
            prev = None
            continue
        if code == end:
            break
        if prev is None:
            entry = table[code]
        elif code < len(table):
            entry = table[code]
            table.append(table[prev] + [entry[0]])
        else:
            assert code == len(table), 'LZW code %d out of order' % code
            entry = table[prev] + [table[prev][0]]
            table.append(entry)
        out.extend(entry)
        if prev is not None and len(table) == (1 << size) and size < 12:
            size += 1
        prev = code
    assert len(out) == count, 'a frame decodes to %d pixels, expected %d' % (len(out), count)
    return out


def sub_blocks(data, pos):
    """The data of the sub-blocks starting at pos (each a length byte, then that many bytes; a 0
    ends them), and the position after the terminator."""
    body = b''
    while data[pos]:
        body += data[pos + 1:pos + 1 + data[pos]]
        pos += 1 + data[pos]
    return body, pos + 1


def read_gif(path):
    data = open(path, 'rb').read()
    assert data[:6] == b'GIF89a', 'not a GIF89a'
    width, height, flags = struct.unpack('<HHB', data[6:11])
    assert flags & 0x80, 'no global colour table'
    entries = 2 << (flags & 7)
    palette = [data[13 + 3 * i:16 + 3 * i] for i in range(entries)]
    pos, frames, loops, delays = 13 + 3 * entries, [], False, []
    while True:
        kind = data[pos]
        if kind == 0x3b:
            break
        if kind == 0x21:  # an extension: its sub-blocks
            label = data[pos + 1]
            body, pos = sub_blocks(data, pos + 2)
            if label == 0xff and body.startswith(b'NETSCAPE2.0'):
                loops = struct.unpack('<H', body[12:14])[0] == 0
            if label == 0xf9:
                delays.append(struct.unpack('<H', body[1:3])[0])
            continue
        assert kind == 0x2c, 'unexpected block 0x%02x at %d' % (kind, pos)
        x, y, w, h, f = struct.unpack('<HHHHB', data[pos + 1:pos + 10])
        assert (x, y, w, h) == (0, 0, width, height) and not f & 0x80, 'a frame is not the whole canvas'
        min_size = data[pos + 10]
        body, pos = sub_blocks(data, pos + 11)
        indices = lzw_decode(body, min_size, w * h)
        for p in palette:
            assert p[0] == p[1] == p[2], 'a grey walk has a colour palette'
        frames.append([[palette[indices[r * w + c]][0] for c in range(w)] for r in range(h)])
    return width, height, frames, loops, delays


def main():
    gif, png, steps, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    w, h, frames, loops, delays = read_gif(gif)
    sw, sh, strip = read_png(png)
    cell = (sw - 2 * (steps - 1)) // steps
    assert loops, 'the GIF does not loop forever'
    assert len(frames) == 2 * steps - 2, '%d frames, expected %d' % (len(frames), 2 * steps - 2)
    assert len(set(delays)) == 1 and delays[0] > 0, 'delays %s' % delays
    assert (w, sh) == (cell, h), 'frames %dx%d, strip cells %dx%d' % (w, h, cell, sh)
    order = list(range(steps)) + list(range(steps - 2, 0, -1))
    for k, step in enumerate(order):
        x0 = step * (cell + 2)
        column = [row[x0:x0 + cell] for row in strip]
        assert frames[k] == column, 'frame %d is not step %d of the strip' % (k, step)
    assert frames[0] != frames[steps - 1], 'the walk does not move'
    print('gif ok: %d frames of %dx%d, %d rows, the strip pixel for pixel, looping, %d cs each'
          % (len(frames), w, h, rows, delays[0]))


if __name__ == '__main__':
    main()
