--[[
book.lua - the pandoc filter that turns one book page into HTML or into
a part of the EPUB.

It does these things, and stops the build with one line on stderr when
any of them finds something missing:

  1. Code excerpts. A code block with an `include` attribute is replaced
     by text pulled from a file of the repository at build time:

       ```{.c include="labs/01-vm-entry/src/core/run.c" function="vcpu_run"}
       ```

     `function=NAME` takes a C function definition (signature to the
     closing brace in column 0), `struct=NAME` a struct, union or enum
     definition, `region=NAME` the lines between two marker comments,

       /* excerpt: NAME */  ...  /* end excerpt: NAME */     (C)
       ; excerpt: NAME      ...  ; end excerpt: NAME         (nasm)

     (`//` and `#` comments work too). `comment=yes` also takes the
     block comment just above a function or struct. Exercise markers
     (`/* EXERCISE N.name: ...` through its `*/`, and
     `/* END EXERCISE N.name */`) are dropped, so the book shows the
     reference code as it reads once the exercise is done.
     `lines="1-12,30-41"` keeps only those lines of the excerpt (counted
     as the whole excerpt would be shown, from 1; "30-" runs to the
     end); each run of lines left out becomes one line "...".

     A code block of class `transcript` is real program output, which
     tests/transcripts.py checks against a run of its `cmd` attribute;
     the filter only drops that attribute.

  2. Figures. An image must name a figure rendered from a Graphviz
     source: `figures/NAME.svg` needs `figures/NAME.dot` beside the page
     and the rendered `figures/NAME.svg` in the output directory. Images
     with an id `fig-...` are numbered per chapter ("Figure 1.2"), and a
     link with no text to such an id gets that name as its text. In
     HTML a figure links to its SVG, to see it at full size.

  3. Links. `page.md` and `page.md#id` must name a page of the book and
     an identifier in it, `#id` an identifier on this page; any other
     relative link is refused (a repository path is quoted as code, not
     linked, so no link can point outside the book).

  4. Numbering. The page's first-level heading is its title; on a
     chapter page (chNN-*.md) second-level headings are numbered N.1,
     N.2, ... and third-level ones N.k.1, ... A link with no text to a
     heading gets "section N.k" as its text.

  5. Reading. Code and program output are written as HTML lines that
     wrap with a hanging indent instead of running off the page; inline
     code breaks only at its spaces, never at a hyphen; Chinese text is
     marked lang="zh-Hans" (the fonts in style/ draw it).

  6. The glossary. On a page holding a div with id `glossary`, that div
     becomes a table of every key term of every chapter, English and
     Chinese, taken from the "key terms" column of the table under each
     chapter's heading {#seed-map}: each term written "English (中文)",
     terms separated by ";". The row's first link says where the term
     is explained.

  7. Target. With book-target=html, `page.md` links become `page.html`,
     and the page gets a contents sidebar with the search box, the
     navigation bars, and its part of the search index (book-search);
     with book-target=epub (the page is then one part of the EPUB),
     every identifier is prefixed with the page's name so that pages
     cannot collide, and links follow.

  8. A handout. With book-handout=DIR (the student handout being
     written, grading/handout.py), an excerpt whose code holds an
     exercise region is taken from DIR instead when the handout's copy
     differs: that is an exercise of the handout's lab, stubbed, and the
     page shows the contract and the stub the student has, whole (no
     `lines=`), never the reference's answer. Where DIR lacks the file
     (an earlier lab's chapter), the reference stays, as the later lab's
     folder shows that code anyway.

Metadata it reads (given with -M by book/Makefile):
  book-root    the directory include paths are relative to (the repo)
  book-handout a student handout's root, to quote its stubs (optional)
  book-src     the directory holding the pages and figures/
  book-out     the output directory (where rendered figures are)
  book-page    this page's file name, e.g. ch01-vm-entry.md
  book-pages   every page of the book in reading order, space-separated
  book-target  html, epub, or markdown (one page as Markdown, with its
               excerpts and numbers in place, for reading as text)
  book-deps    a make dependency file to write (optional)
  book-search  a file to write this page's search entries to (html)
  book-title   the book's title, for the navigation bar
]]

local stringify = pandoc.utils.stringify

local cfg = {}
local deps = {}          -- files this page was built from, for make
local page_cache = {}    -- parsed pages, for link checks

-- One line on stderr naming what is missing, and a failed build.
local function fail(fmt, ...)
  io.stderr:write("book: " .. (cfg.page or "?") .. ": " ..
                  string.format(fmt, ...) .. "\n")
  os.exit(1)
end

local function meta_string(meta, key, default)
  local v = meta[key]
  if v == nil then
    return default
  end
  return stringify(v)
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then
    f:close()
    return true
  end
  return false
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("a")
  f:close()
  return text
end

local function split_lines(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    lines[#lines + 1] = (line:gsub("\r$", ""))
  end
  if lines[#lines] == "" then
    lines[#lines] = nil
  end
  return lines
end

local function escape_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function escape_html(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function chapter_number(page)
  local n = page:match("^ch(%d+)%-")
  return n and tonumber(n) or nil
end

local function page_prefix(page)
  return (page:gsub("%.md$", ""))
end

-- Columns a line takes on screen: UTF-8 continuation bytes take none.
local function columns(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xc0 then
      n = n + 1
    end
  end
  return n
end

---------------------------------------------------------------------------
-- 1. Code excerpts
---------------------------------------------------------------------------

-- Where the function NAME is defined: first and last line, or nil. A
-- definition starts in column 0, names NAME followed by "(", and reaches
-- a "{" in column 0 before any line ending in ";" (which would make it a
-- prototype). It ends at the next "}" in column 0 (kernel style).
local function find_function(lines, name)
  local pat = "%f[%w_]" .. escape_pattern(name) .. "%s*%("
  for i, line in ipairs(lines) do
    if line:match("^[%a_]") and line:find(pat) then
      local j = i
      while j <= #lines do
        local l = lines[j]
        if l:match("^{") then
          for k = j + 1, #lines do
            if lines[k]:match("^}") then
              local first = i
              -- "static int\nname(...)": the type on a line of its own.
              if line:match("^" .. escape_pattern(name) .. "%s*%(") and
                 i > 1 and lines[i - 1]:match("^[%a_][%w_%s%*]*$") then
                first = i - 1
              end
              return first, k
            end
          end
          return nil
        end
        if l:match(";%s*$") or l:match("^}") then
          break
        end
        j = j + 1
      end
    end
  end
  return nil
end

-- struct/union/enum NAME { ... }; with both braces in column 0.
local function find_struct(lines, name)
  local n = escape_pattern(name)
  for i, line in ipairs(lines) do
    if line:match("^struct%s+" .. n .. "%s*{") or
       line:match("^union%s+" .. n .. "%s*{") or
       line:match("^enum%s+" .. n .. "%s*{") then
      for k = i + 1, #lines do
        if lines[k]:match("^}") then
          return i, k
        end
      end
      return nil
    end
  end
  return nil
end

-- The text of a marker comment line, without its comment punctuation:
-- "/* excerpt: foo */" -> "excerpt: foo", "; end excerpt: foo" -> ...
local function marker_text(line)
  local s = line:match("^%s*(.-)%s*$")
  local body = s:match("^/%*%s*(.-)%s*%*/$") or s:match("^//+%s*(.-)$") or
               s:match("^;+%s*(.-)$") or s:match("^#+%s*(.-)$")
  return body
end

local function is_excerpt_marker(line)
  local t = marker_text(line)
  return t ~= nil and (t:match("^excerpt:") or t:match("^end excerpt:"))
end

local function find_region(lines, name)
  local first, last
  for i, line in ipairs(lines) do
    local t = marker_text(line)
    if t then
      local begin_name = t:match("^excerpt:%s*(%S+)$")
      local end_name = t:match("^end excerpt:%s*(%S+)$")
      if begin_name == name then
        if first then
          return nil, nil, "begins twice"
        end
        first = i
      elseif end_name == name then
        if not first then
          return nil, nil, "ends before it begins"
        end
        last = i
        break
      end
    end
  end
  if not first then
    return nil
  end
  if not last then
    return nil, nil, "has no end marker"
  end
  return first + 1, last - 1
end

-- The block comment that ends on the line above `first`, if any.
local function leading_comment(lines, first)
  local i = first - 1
  if i < 1 or not lines[i]:match("%*/%s*$") then
    return first
  end
  while i >= 1 do
    if lines[i]:match("^%s*/%*") then
      return i
    end
    i = i - 1
  end
  return first
end

-- Drop exercise markers: "/* EXERCISE N.name: ..." up to the line that
-- closes that comment, and "/* END EXERCISE N.name */" (the format of
-- grading/handout.py), along with excerpt markers of other regions.
local function drop_markers(lines)
  local out = {}
  local i = 1
  while i <= #lines do
    local line = lines[i]
    if line:match("^%s*/%*%s*END%s+EXERCISE%f[%W]") then
      i = i + 1
    elseif line:match("^%s*/%*%s*EXERCISE%f[%W]") then
      while i <= #lines and not lines[i]:match("%*/%s*$") do
        i = i + 1
      end
      i = i + 1
    elseif is_excerpt_marker(line) then
      i = i + 1
    else
      out[#out + 1] = line
      i = i + 1
    end
  end
  return out
end

-- Tabs to spaces at 8-column stops, as the sources are written.
local function expand_tabs(line)
  local out, col = {}, 0
  for ch in line:gmatch(".") do
    if ch == "\t" then
      local n = 8 - col % 8
      out[#out + 1] = string.rep(" ", n)
      col = col + n
    else
      out[#out + 1] = ch
      -- count UTF-8 continuation bytes as no column
      local b = ch:byte()
      if b < 0x80 or b >= 0xc0 then
        col = col + 1
      end
    end
  end
  return table.concat(out)
end

local function dedent(lines)
  local min
  for _, l in ipairs(lines) do
    if l:match("%S") then
      local n = #l:match("^ *")
      if not min or n < min then
        min = n
      end
    end
  end
  local out = {}
  for i, l in ipairs(lines) do
    out[i] = l:sub((min or 0) + 1)
  end
  -- and no blank lines at either end
  while #out > 0 and not out[1]:match("%S") do
    table.remove(out, 1)
  end
  while #out > 0 and not out[#out]:match("%S") do
    table.remove(out)
  end
  return out
end

-- lines="1-12,30-41": keep those lines of body, and put one "..." line,
-- indented like the first line it stands for, in place of each run of
-- lines left out. Ranges must be in order, apart, and inside the body.
local function select_lines(body, spec, label, path)
  local keep, last = {}, 0
  for part in spec:gmatch("[^,]+") do
    local a, dash, b = part:match("^%s*(%d+)%s*(%-?)%s*(%d*)%s*$")
    if not a then
      fail("excerpt %s of %s: lines=\"%s\": write ranges as 1-12,30-41", label, path, spec)
    end
    a = tonumber(a)
    if dash == "" then
      b = a
    elseif b == "" then
      b = #body
    else
      b = tonumber(b)
    end
    if a <= last or b < a or b > #body then
      fail("excerpt %s of %s: lines=\"%s\": ranges must be in order, apart, and within its %d lines",
           label, path, spec, #body)
    end
    for i = a, b do
      keep[i] = true
    end
    last = b
  end
  local out, gap = {}, false
  for i, l in ipairs(body) do
    if keep[i] then
      out[#out + 1] = l
      gap = false
    elseif not gap then
      -- a blank line left out takes its indentation from the next one
      local j = i
      while j <= #body and not body[j]:match("%S") do
        j = j + 1
      end
      out[#out + 1] = (j <= #body and body[j]:match("^ *") or "") .. "..."
      gap = true
    end
  end
  return out
end

-- The lines of an excerpt (before markers are dropped) in `text`, and
-- its label; fail() when it is not there.
local function extract(attrs, path, text)
  local lines = split_lines(text)
  local kinds = 0
  for _, k in ipairs({ "function", "struct", "region" }) do
    if attrs[k] then
      kinds = kinds + 1
    end
  end
  if kinds ~= 1 then
    fail("excerpt of %s: say exactly one of function=, struct=, region=", path)
  end

  local first, last, label
  if attrs["function"] then
    label = attrs["function"] .. "()"
    first, last = find_function(lines, attrs["function"])
    if not first then
      fail("excerpt: no function %s in %s", attrs["function"], path)
    end
  elseif attrs["struct"] then
    label = "struct " .. attrs["struct"]
    first, last = find_struct(lines, attrs["struct"])
    if not first then
      fail("excerpt: no struct %s in %s", attrs["struct"], path)
    end
  else
    local why
    label = attrs["region"]
    first, last, why = find_region(lines, attrs["region"])
    if why then
      fail("excerpt: region %s in %s %s", attrs["region"], path, why)
    end
    if not first then
      fail("excerpt: no region %s in %s", attrs["region"], path)
    end
  end
  if attrs["comment"] == "yes" and not attrs["region"] then
    first = leading_comment(lines, first)
  end
  local raw = {}
  for i = first, last do
    raw[#raw + 1] = expand_tabs(lines[i])
  end
  return raw, label, lines, first, last
end

-- The exercise (N.name) whose region (its EXERCISE marker to its END
-- EXERCISE line) lines[first..last] overlaps, or nil. A region may hold
-- several functions.
local function in_exercise(lines, first, last)
  local start, key
  for i, l in ipairs(lines) do
    if l:match("^%s*/%*%s*END%s+EXERCISE%f[%W]") then
      if start and start <= last and i >= first then
        return key
      end
      start = nil
    elseif l:match("^%s*/%*%s*EXERCISE%f[%W]") then
      start, key = i, l:match("EXERCISE%s+(%d+%.[%w_-]+)")
    end
  end
  return nil
end

-- 8: the handout's own copy of an excerpt holding an exercise, when it
-- differs from the reference's (the exercise is stubbed there); nil to
-- show the reference; false when the stub does not have it at all (a
-- helper of the exercise's own, the student's to design).
local function handout_copy(attrs, path, body)
  local text = read_file(cfg.handout .. "/" .. path)
  if not text then
    return nil
  end
  local lines = split_lines(text)
  local found = attrs["function"] and find_function(lines, attrs["function"]) or
                attrs["struct"] and find_struct(lines, attrs["struct"]) or
                attrs["region"] and find_region(lines, attrs["region"])
  if not found then
    return false
  end
  local raw = extract(attrs, path, text)
  local mine = dedent(drop_markers(raw))
  if table.concat(mine, "\n") == table.concat(body, "\n") then
    return nil
  end
  local key
  for _, l in ipairs(mine) do
    key = key or l:match("TODO (%d+%.[%w_-]+):")
  end
  return mine, key
end

local function excerpt(block)
  local attrs = block.attributes
  local path = attrs["include"]
  local root = cfg.root
  local text = read_file(root .. "/" .. path)
  if not text then
    fail("excerpt: no file %s", path)
  end
  deps[#deps + 1] = root .. "/" .. path
  local raw, label, lines, first, last = extract(attrs, path, text)
  local body = dedent(drop_markers(raw))
  if #body == 0 then
    fail("excerpt: %s in %s is empty", label, path)
  end
  local shown = label
  local stub, key
  local exercise = cfg.handout and in_exercise(lines, first, last)
  if exercise then
    stub, key = handout_copy(attrs, path, body)
    key = key or exercise
  end
  if stub == false then
    -- Part of an exercise that the stub leaves to the student.
    local note = { pandoc.Code(path), pandoc.Str(":"), pandoc.Space(),
                   pandoc.Code(label), pandoc.Str(","), pandoc.Space(),
                   pandoc.Str("part of exercise " .. exercise .. ","),
                   pandoc.Space(), pandoc.Str("yours to write: its contract is the TODO in that file.") }
    return pandoc.Div({ pandoc.Para({ pandoc.Emph(note) }) },
                      pandoc.Attr("", { "excerpt", "exercise" }))
  end
  if stub then
    body = stub
    shown = label .. ", as in your handout" ..
            (key and (": exercise " .. key .. " is yours to write") or "")
  elseif attrs["lines"] then
    body = select_lines(body, attrs["lines"], label, path)
    shown = label .. ", abridged"
  end

  local classes = {}
  for _, c in ipairs(block.classes) do
    classes[#classes + 1] = c
  end
  local code = pandoc.CodeBlock(table.concat(body, "\n"),
                                pandoc.Attr(block.identifier, classes, {}))
  local caption = pandoc.Plain({ pandoc.Code(path), pandoc.Str(":"),
                                 pandoc.Space(), pandoc.Code(shown) })
  if cfg.target == "markdown" then
    return { pandoc.Para({ pandoc.Emph(caption.content) }), code }
  end
  return pandoc.Div({ pandoc.Div({ caption }, pandoc.Attr("", { "excerpt-source" })),
                      code }, pandoc.Attr("", { "excerpt" }))
end

---------------------------------------------------------------------------
-- 2. Figures
---------------------------------------------------------------------------

local function check_image(img)
  local src = img.src
  if src:match("^%a[%w+.-]*:") then
    fail("figure %s: images must be figures/NAME.svg rendered from figures/NAME.dot", src)
  end
  local name = src:match("^figures/([%w_.-]+)%.svg$")
  if not name then
    fail("figure %s: images must be figures/NAME.svg rendered from figures/NAME.dot", src)
  end
  local dot = cfg.src .. "/figures/" .. name .. ".dot"
  if not file_exists(dot) then
    fail("missing figure %s (no source figures/%s.dot)", src, name)
  end
  if not file_exists(cfg.out .. "/" .. src) then
    fail("missing figure %s (figures/%s.dot was not rendered)", src, name)
  end
  deps[#deps + 1] = dot
end

-- Section numbers of a chapter page: second-level headings are N.1,
-- N.2, ..., third-level ones N.k.1, ... Returns id -> "section N.k" for
-- links with no text (on a page with no number, the heading's own text),
-- and the list of headings {level, id, num, title} in order. With mark
-- set, the number is also written into each heading.
local function number_sections(blocks, chap, mark)
  local labels, list = {}, {}
  local k, j = 0, 0
  for _, b in ipairs(blocks) do
    if b.t == "Header" and b.level >= 2 and b.level <= 3 and
       not b.classes:includes("unnumbered") then
      local num
      if chap then
        if b.level == 2 then
          k, j = k + 1, 0
          num = chap .. "." .. k
        elseif k > 0 then
          j = j + 1
          num = chap .. "." .. k .. "." .. j
        end
      end
      if b.identifier ~= "" then
        labels[b.identifier] = num and ("section " .. num) or stringify(b.content)
      end
      list[#list + 1] = { level = b.level, id = b.identifier, num = num,
                          title = stringify(b.content), inlines = b.content:clone() }
      if num and mark then
        if cfg.target == "markdown" then
          b.content:insert(1, pandoc.Str(num))
        else
          b.content:insert(1, pandoc.Span({ pandoc.Str(num) },
                                          pandoc.Attr("", { "section-number" })))
        end
        b.content:insert(2, pandoc.Space())
      end
    end
  end
  return labels, list
end

-- Figure numbers of a page: id -> "Figure N.k" (or "Figure k").
local function figure_numbers(blocks, chap)
  local nums, k = {}, 0
  pandoc.walk_block(pandoc.Div(blocks), {
    Image = function(img)
      if img.identifier:match("^fig%-") then
        k = k + 1
        nums[img.identifier] = "Figure " .. (chap and (chap .. ".") or "") .. k
      end
    end,
  })
  return nums
end

---------------------------------------------------------------------------
-- 3. Links
---------------------------------------------------------------------------

-- Every identifier a page defines, except its title's.
local function collect_ids(blocks)
  local ids = {}
  local function add(el)
    if el.identifier and el.identifier ~= "" then
      ids[el.identifier] = true
    end
  end
  pandoc.walk_block(pandoc.Div(blocks), {
    Header = function(h)
      if h.level > 1 then
        add(h)
      end
    end,
    Div = add, Span = add, CodeBlock = add, Image = add, Link = add,
    Code = add,
  })
  return ids
end

local function is_page(name)
  for _, p in ipairs(cfg.pages) do
    if p == name then
      return true
    end
  end
  return false
end

local function load_page(name)
  if page_cache[name] then
    return page_cache[name]
  end
  local path = cfg.src .. "/" .. name
  local text = read_file(path)
  if not text then
    fail("link to %s: no such page", name)
  end
  deps[#deps + 1] = path
  local doc = pandoc.read(text, "markdown")
  local title
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then
      title = stringify(b.content)
      break
    end
  end
  local sections, headings = number_sections(doc.blocks, chapter_number(name), false)
  local entry = {
    title = title,
    blocks = doc.blocks,
    ids = collect_ids(doc.blocks),
    figs = figure_numbers(doc.blocks, chapter_number(name)),
    sections = sections,
    headings = headings,
  }
  page_cache[name] = entry
  return entry
end

---------------------------------------------------------------------------
-- 5. Reading: code, transcripts, inline code, Chinese
---------------------------------------------------------------------------

-- The HTML of a code block's lines, each a span of its own that wraps
-- with a hanging indent: a continuation starts four columns right of
-- where the line's own text starts, so a wrapped line reads as one
-- (style/book.css caps the indent on a narrow screen).
local function hang(indent)
  return string.format(' style="--hang:%dch"', indent + 4)
end

-- A code block as pandoc highlights it, with the line anchors dropped
-- and each line given its hanging indent.
local function code_html(block)
  local b = pandoc.CodeBlock(block.text, pandoc.Attr("", block.classes, {}))
  local html = pandoc.write(pandoc.Pandoc({ b }), "html5",
                            { highlight_style = PANDOC_WRITER_OPTIONS.highlight_style })
  local lines = split_lines(block.text)
  local n = 0
  html = html:gsub('^(<div class="sourceCode") id="[%w_-]+"', "%1")
  html = html:gsub('<span id="[%w_-]+"><a href="#[%w_-]+" aria%-hidden="true" tabindex="%-1"></a>',
    function()
      n = n + 1
      return "<span" .. hang(#((lines[n] or ""):match("^ *"))) .. ">"
    end)
  if n == 0 then
    -- not highlighted (no language): one span per line, as for output
    local out = {}
    for _, l in ipairs(lines) do
      out[#out + 1] = "<span" .. hang(#l:match("^ *")) .. ">" .. escape_html(l) .. "</span>"
    end
    html = '<pre class="plain"><code>' .. table.concat(out, "\n") .. "</code></pre>"
  end
  if block.identifier ~= "" then
    html = '<div id="' .. block.identifier .. '">' .. html .. "</div>"
  end
  return pandoc.RawBlock("html", html)
end

-- Program output: the same lines with hanging indents, no highlighting.
local function transcript_html(block)
  local out = {}
  for _, l in ipairs(split_lines(block.text)) do
    out[#out + 1] = "<span" .. hang(#l:match("^ *")) .. ">" .. escape_html(l) .. "</span>"
  end
  local id = block.identifier ~= "" and (' id="' .. block.identifier .. '"') or ""
  return pandoc.RawBlock("html", "<pre" .. id .. ' class="transcript"><code>' ..
                         table.concat(out, "\n") .. "</code></pre>")
end

-- Inline code that breaks only at its spaces: each word of it is kept
-- whole ("make -C guests" may break before "-C", never after "-").
-- A word too long for a narrow screen is left free to break.
local function inline_code(code)
  if code.identifier ~= "" or #code.classes > 0 or not code.text:find("[-/]") then
    return nil
  end
  local parts = {}
  for space, word in code.text:gmatch("(%s*)(%S+)") do
    parts[#parts + 1] = escape_html(space)
    if word:find("[-/]") and columns(word) <= 40 then
      parts[#parts + 1] = '<span class="nobreak">' .. escape_html(word) .. "</span>"
    else
      parts[#parts + 1] = escape_html(word)
    end
  end
  return pandoc.RawInline("html", "<code>" .. table.concat(parts) .. "</code>")
end

-- Is the UTF-8 character c Chinese (CJK ideographs, CJK punctuation,
-- full-width forms)?
local function is_cjk(c)
  local p = utf8.codepoint(c)
  return (p >= 0x2E80 and p <= 0x2FDF) or (p >= 0x3000 and p <= 0x303F) or
         (p >= 0x3400 and p <= 0x4DBF) or (p >= 0x4E00 and p <= 0x9FFF) or
         (p >= 0xF900 and p <= 0xFAFF) or (p >= 0xFF00 and p <= 0xFFEF)
end

-- A Str with Chinese in it: the Chinese runs become spans in lang zh-Hans.
local function mark_chinese(str)
  local text = str.text
  if not text:find("[\xe2-\xef]") then
    return nil
  end
  local out, run, cjk = {}, {}, nil
  local function flush()
    if #run > 0 then
      local s = table.concat(run)
      if cjk then
        out[#out + 1] = pandoc.Span({ pandoc.Str(s) }, pandoc.Attr("", {}, { lang = "zh-Hans" }))
      else
        out[#out + 1] = pandoc.Str(s)
      end
      run = {}
    end
  end
  for _, cp in utf8.codes(text) do
    local c = utf8.char(cp)
    local k = is_cjk(c)
    if k ~= cjk then
      flush()
      cjk = k
    end
    run[#run + 1] = c
  end
  flush()
  if #out == 1 and out[1].t == "Str" then
    return nil
  end
  return out
end

---------------------------------------------------------------------------
-- 6. The glossary
---------------------------------------------------------------------------

-- The table under a chapter's {#seed-map} heading: its key terms, each
-- {en, zh, page, id, seed} with the first link of the row as the place
-- that explains it.
local function chapter_terms(name)
  local entry = load_page(name)
  local terms, in_map = {}, false
  for _, b in ipairs(entry.blocks) do
    if b.t == "Header" then
      in_map = b.identifier == "seed-map"
    elseif in_map and b.t == "Table" then
      local st = pandoc.utils.to_simple_table(b)
      local col
      for i, h in ipairs(st.headers) do
        if stringify(h):lower() == "key terms" then
          col = i
        end
      end
      if not col then
        fail("glossary: the table of %s#seed-map has no column \"key terms\"", name)
      end
      for _, row in ipairs(st.rows) do
        local target
        pandoc.walk_block(pandoc.Div(row[1]), {
          Link = function(l)
            target = target or l.target
          end,
        })
        local cell = stringify(row[col])
        for term in cell:gmatch("[^;]+") do
          term = term:match("^%s*(.-)%s*$")
          if term ~= "" and term ~= "—" then
            local en, zh = term:match("^(.-)%s*%(([^()]*)%)$")
            if not en or en == "" then
              fail("glossary: key term \"%s\" in %s#seed-map: write it \"English (中文)\"", term, name)
            end
            local page, id = (target or ""):match("^([^#]*)#?(.*)$")
            terms[#terms + 1] = { en = en, zh = zh, page = page ~= "" and page or name,
                                  id = id ~= "" and id or nil, seed = stringify(row[2]) }
          end
        end
      end
      break
    end
  end
  return terms
end

-- Every chapter's terms, one row per English term (its first chapter
-- wins), sorted as a reader looks for them.
local function glossary_table()
  local seen, rows = {}, {}
  for _, p in ipairs(cfg.pages) do
    if chapter_number(p) then
      for _, t in ipairs(chapter_terms(p)) do
        local key = t.en:lower()
        if not seen[key] then
          seen[key] = true
          rows[#rows + 1] = t
        end
      end
    end
  end
  table.sort(rows, function(a, b)
    return a.en:lower() < b.en:lower()
  end)
  local body = {}
  for _, t in ipairs(rows) do
    local href = t.page .. (t.id and ("#" .. t.id) or "")
    local seed = {}
    for s in t.seed:gmatch("§[%d.]*%d[–-]?[%d.]*") do
      seed[#seed + 1] = s
    end
    body[#body + 1] = {
      { pandoc.Plain({ pandoc.Str(t.en) }) },
      { pandoc.Plain({ pandoc.Str(t.zh) }) },
      { pandoc.Plain({ pandoc.Link({}, href) }) },
      { pandoc.Plain({ pandoc.Str(#seed > 0 and ("book A " .. table.concat(seed, ", ")) or "—") }) },
    }
  end
  local head = { { pandoc.Plain({ pandoc.Str("English") }) },
                 { pandoc.Plain({ pandoc.Str("中文") }) },
                 { pandoc.Plain({ pandoc.Str("explained in") }) },
                 { pandoc.Plain({ pandoc.Str("book A") }) } }
  local st = pandoc.SimpleTable({}, { pandoc.AlignDefault, pandoc.AlignDefault,
                                      pandoc.AlignDefault, pandoc.AlignDefault },
                                { 0, 0, 0, 0 }, head, body)
  return pandoc.utils.from_simple_table(st), rows
end

---------------------------------------------------------------------------
-- 7. Target-specific rewriting
---------------------------------------------------------------------------

local function prefixed(page, id)
  return page_prefix(page) .. "-" .. id
end

-- The href a checked link becomes. page is nil for a link on this page.
local function target_href(page, id)
  if cfg.target == "markdown" then
    return (page or "") .. (id and ("#" .. id) or "")
  end
  if cfg.target == "epub" then
    local p = page or cfg.page
    if id then
      return "#" .. prefixed(p, id)
    end
    return "#" .. page_prefix(p)
  end
  local base = page and (page_prefix(page) .. ".html") or ""
  if id then
    return base .. "#" .. id
  end
  return base
end

local function nav_link(page, text)
  return '<a href="' .. page_prefix(page) .. '.html">' .. text .. "</a>"
end

local function page_title(name)
  local entry = load_page(name)
  local chap = chapter_number(name)
  if not entry.title then
    return name
  end
  return (chap and ("Chapter " .. chap .. ": ") or "") .. entry.title
end

local function navigation()
  local here
  for i, p in ipairs(cfg.pages) do
    if p == cfg.page then
      here = i
    end
  end
  local parts = {}
  parts[#parts + 1] = nav_link(cfg.pages[1], escape_html(cfg.title))
  if here and here > 2 then      -- page 1, the front page, is linked above
    local p = cfg.pages[here - 1]
    parts[#parts + 1] = '<span class="nav-prev">Previous: ' ..
                        nav_link(p, escape_html(page_title(p))) .. "</span>"
  end
  if here and here < #cfg.pages then
    local p = cfg.pages[here + 1]
    parts[#parts + 1] = '<span class="nav-next">Next: ' ..
                        nav_link(p, escape_html(page_title(p))) .. "</span>"
  end
  return '<nav class="book-nav">' .. table.concat(parts, " ") .. "</nav>"
end

-- Inlines as HTML, for the sidebar and the figures.
local function inlines_html(inlines)
  local html = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "html5")
  return (html:gsub("\n$", ""))
end

-- The sidebar: the book's title, the search box, and the contents of
-- the whole book, with this page's sections under its title.
local function sidebar(headings)
  local out = { '<nav class="sidebar" id="sidebar" aria-label="Contents">',
                '<p class="sidebar-title"><a href="' .. page_prefix(cfg.pages[1]) ..
                '.html">' .. escape_html(cfg.title) .. "</a></p>",
                '<form class="search" role="search" onsubmit="return false">',
                '<input type="search" id="search-box" placeholder="Search the book" ' ..
                'aria-label="Search the book" autocomplete="off">',
                '<ol id="search-results" hidden></ol>',
                "</form>",
                '<ol class="toc">' }
  for i, p in ipairs(cfg.pages) do
    if i > 1 then
      local chap = chapter_number(p)
      local label = (chap and ('<span class="toc-num">' .. chap .. "</span> ") or "") ..
                    escape_html(load_page(p).title or p)
      local here = p == cfg.page
      if here and #headings > 0 then
        -- this page's sections fold away (book.js folds them on a phone)
        out[#out + 1] = '<li class="current"><details class="toc-here" open><summary>' ..
                        nav_link(p, label) .. "</summary>"
      else
        out[#out + 1] = "<li" .. (here and ' class="current"' or "") .. ">" ..
                        nav_link(p, label)
      end
      if here and #headings > 0 then
        local open = 0
        out[#out + 1] = "<ol>"
        for k, h in ipairs(headings) do
          local nexth = headings[k + 1]
          local item = '<a href="#' .. h.id .. '">' ..
                       (h.num and ('<span class="toc-num">' .. h.num .. "</span> ") or "") ..
                       inlines_html(h.inlines) .. "</a>"
          if h.level == 2 then
            while open > 0 do
              out[#out + 1] = "</ol></li>"
              open = open - 1
            end
            if nexth and nexth.level == 3 then
              out[#out + 1] = "<li>" .. item .. "<ol>"
              open = 1
            else
              out[#out + 1] = "<li>" .. item .. "</li>"
            end
          else
            out[#out + 1] = "<li>" .. item .. "</li>"
          end
        end
        while open > 0 do
          out[#out + 1] = "</ol></li>"
          open = open - 1
        end
        out[#out + 1] = "</ol></details>"
      end
      out[#out + 1] = "</li>"
    end
  end
  out[#out + 1] = "</ol>"
  out[#out + 1] = "</nav>"
  return table.concat(out, "\n")
end

-- A JavaScript string literal.
local function js_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " "):gsub("\r", " ")
  s = s:gsub("\xe2\x80\xa8", " "):gsub("\xe2\x80\xa9", " "):gsub("</", "<\\/")
  return '"' .. s .. '"'
end

-- This page's entries of the search index: one per section (the text
-- from its heading to the next), and one per glossary term.
local function write_search(path, title_text, blocks, terms)
  local f = io.open(path, "w")
  if not f then
    fail("cannot write %s", path)
  end
  local html = page_prefix(cfg.page) .. ".html"
  local function entry(id, label, text)
    f:write("BOOK_SEARCH.push([" .. js_string(html .. (id and ("#" .. id) or "")) ..
            "," .. js_string(label) .. "," .. js_string(title_text) .. "," ..
            js_string(text) .. "]);\n")
  end
  local id, label, acc = nil, title_text, {}
  local function flush()
    entry(id, label, table.concat(acc, " "))
    acc = {}
  end
  for _, b in ipairs(blocks) do
    if b.t == "Header" and b.level <= 3 and b.identifier ~= "" then
      flush()
      id, label = b.identifier, stringify(b.content)
    elseif b.t == "Table" then
      -- cell by cell, so that the words of two cells stay apart
      local st = pandoc.utils.to_simple_table(b)
      for _, row in ipairs(st.rows) do
        for _, cell in ipairs(row) do
          acc[#acc + 1] = stringify(cell)
        end
      end
    else
      acc[#acc + 1] = stringify(b)
    end
  end
  flush()
  for _, t in ipairs(terms or {}) do
    entry("term-" .. t.en:lower():gsub("[^%w]+", "-"), t.en .. " · " .. t.zh,
          t.en .. " " .. t.zh)
  end
  f:close()
end

-- The text of a link written with none: "Figure 1.2", "section 1.3".
local function auto_text(label, target)
  if not label or label == "" then
    fail("link to %s has no text, and its target has no number or title", target)
  end
  local inlines = {}
  for word in label:gmatch("%S+") do
    if #inlines > 0 then
      inlines[#inlines + 1] = pandoc.Space()
    end
    inlines[#inlines + 1] = pandoc.Str(word)
  end
  return inlines
end

---------------------------------------------------------------------------
-- The page
---------------------------------------------------------------------------

local function write_deps(path)
  local f = io.open(path, "w")
  if not f then
    fail("cannot write %s", path)
  end
  local seen, list = {}, {}
  for _, d in ipairs(deps) do
    if not seen[d] then
      seen[d] = true
      list[#list + 1] = d
    end
  end
  f:write(cfg.dep_target .. ": " .. table.concat(list, " ") .. "\n")
  for _, d in ipairs(list) do
    f:write(d .. ":\n")
  end
  f:close()
end

-- A numbered figure in HTML: the image links to its SVG, at full size.
local function figure_html(para)
  local img = para.content[1]
  local alt = stringify(img.caption)
  local html = '<figure id="' .. img.identifier .. '">' ..
               '<a href="' .. img.src .. '" title="the figure at full size">' ..
               '<img src="' .. img.src .. '" alt="' .. escape_html(alt) .. '"></a>' ..
               "<figcaption>" .. inlines_html(img.caption) .. "</figcaption></figure>"
  return pandoc.RawBlock("html", html)
end

function Pandoc(doc)
  local meta = doc.meta
  cfg.page = meta_string(meta, "book-page", nil)
  if not cfg.page then
    io.stderr:write("book: the filter needs -M book-page=NAME.md\n")
    os.exit(1)
  end
  cfg.root = meta_string(meta, "book-root", "..")
  cfg.src = meta_string(meta, "book-src", ".")
  cfg.out = meta_string(meta, "book-out", "out")
  cfg.target = meta_string(meta, "book-target", "html")
  if cfg.target ~= "html" and cfg.target ~= "epub" and cfg.target ~= "markdown" then
    fail("book-target=%s: html, epub or markdown", cfg.target)
  end
  cfg.handout = meta_string(meta, "book-handout", "")
  if cfg.handout == "" then
    cfg.handout = nil
  end
  cfg.title = meta_string(meta, "book-title", "Contents")
  cfg.pages = {}
  for p in meta_string(meta, "book-pages", cfg.page):gmatch("%S+") do
    cfg.pages[#cfg.pages + 1] = p
  end
  cfg.dep_target = meta_string(meta, "book-dep-target", "")
  local chap = chapter_number(cfg.page)

  -- 1 and 2: excerpts and figures.
  local blocks = pandoc.walk_block(pandoc.Div(doc.blocks), {
    CodeBlock = function(b)
      if b.attributes["include"] then
        return excerpt(b)
      end
      if b.classes:includes("transcript") then
        -- Program output; its command is for tests/transcripts.py only.
        b.attributes = {}
        return b
      end
    end,
    Image = function(img)
      check_image(img)
    end,
  }).content

  -- 6: the glossary, where the page asks for it.
  local terms
  blocks = pandoc.walk_block(pandoc.Div(blocks), {
    Div = function(d)
      if d.identifier == "glossary" then
        local tbl
        tbl, terms = glossary_table()
        d.content = { tbl }
        return d
      end
    end,
  }).content

  -- 4: the title, and section numbers on chapter pages.
  local title
  local body = {}
  for _, b in ipairs(blocks) do
    if b.t == "Header" and b.level == 1 and not title then
      title = b
    else
      body[#body + 1] = b
    end
  end
  if not title then
    fail("the page has no first-level heading (its title)")
  end
  local sections, headings = number_sections(body, chap, true)

  -- 2 and 3: figure captions, then every link checked and rewritten.
  local ids = collect_ids(body)
  local figs = figure_numbers(body, chap)
  body = pandoc.walk_block(pandoc.Div(body), {
    Image = function(img)
      local n = figs[img.identifier]
      if n and img.title:match("^fig:") then
        img.caption:insert(1, pandoc.Str(n .. ":"))
        img.caption:insert(2, pandoc.Space())
      end
      return img
    end,
    Link = function(link)
      local t = link.target
      if t:match("^%a[%w+.-]*:") then
        return nil          -- an absolute URL: https:, mailto:
      end
      local page, id = t:match("^([^#]*)#?(.*)$")
      if id == "" then
        id = nil
      end
      if page == "" then
        if not id then
          fail("empty link")
        end
        if not ids[id] then
          fail("broken link #%s: no such id on this page", id)
        end
        if #link.content == 0 then
          link.content = auto_text(figs[id] or sections[id], t)
        end
        link.target = target_href(nil, id)
        return link
      end
      if not page:match("%.md$") or page:match("/") then
        fail("link to %s: only pages of the book (NAME.md) can be linked; quote repository paths as code", t)
      end
      if not is_page(page) then
        fail("broken link %s: %s is not a page of the book", t, page)
      end
      local entry = load_page(page)
      if id and not entry.ids[id] then
        fail("broken link %s: no id %s in %s", t, id, page)
      end
      if #link.content == 0 then
        link.content = auto_text(id and (entry.figs[id] or entry.sections[id]) or
                                 entry.title, t)
      end
      link.target = target_href(page, id)
      return link
    end,
  }).content

  -- Glossary rows get ids, so that the search can point at a term.
  if terms then
    body = pandoc.walk_block(pandoc.Div(body), {
      Table = function(tbl)
        for _, tb in ipairs(tbl.bodies) do
          for _, row in ipairs(tb.body) do
            local en = stringify(row.cells[1].contents)
            row.attr = pandoc.Attr("term-" .. en:lower():gsub("[^%w]+", "-"))
          end
        end
        return tbl
      end,
    }).content
  end

  -- 7: the target.
  if cfg.target == "epub" then
    local function prefix(el)
      if el.identifier and el.identifier ~= "" then
        el.identifier = prefixed(cfg.page, el.identifier)
        return el
      end
    end
    body = pandoc.walk_block(pandoc.Div(body), {
      Header = prefix, Div = prefix, Span = prefix, CodeBlock = prefix,
      Image = prefix, Code = prefix,
      Table = function(tbl)
        for _, tb in ipairs(tbl.bodies) do
          for _, row in ipairs(tb.body) do
            if row.attr.identifier ~= "" then
              row.attr.identifier = prefixed(cfg.page, row.attr.identifier)
            end
          end
        end
        return tbl
      end,
    }).content
    title.identifier = page_prefix(cfg.page)
    if chap then
      title.content:insert(1, pandoc.Str("Chapter " .. chap .. ":"))
      title.content:insert(2, pandoc.Space())
    end
  end

  -- The search index reads the text before it is written as HTML.
  if cfg.target == "html" then
    local search = meta_string(meta, "book-search", nil)
    if search and search ~= "" then
      local t = stringify(title.content)
      write_search(search, chap and ("Chapter " .. chap .. ": " .. t) or t, body, terms)
    end
  end

  if cfg.target == "markdown" then
    -- As text: the title first, the rest as pandoc writes Markdown.
    if chap then
      title.content:insert(1, pandoc.Str("Chapter " .. chap .. ":"))
      title.content:insert(2, pandoc.Space())
    end
    body:insert(1, title)
    meta = pandoc.Meta({})
    local deps_file = meta_string(doc.meta, "book-deps", nil)
    if deps_file and deps_file ~= "" then
      write_deps(deps_file)
    end
    return pandoc.Pandoc(body, meta)
  end

  -- 5: code, output, inline code and Chinese, written for reading.
  body = pandoc.walk_block(pandoc.Div(body), {
    CodeBlock = function(b)
      if b.classes:includes("transcript") then
        return transcript_html(b)
      end
      return code_html(b)
    end,
    Code = inline_code,
    Str = mark_chinese,
  }).content
  if cfg.target == "html" then
    body = pandoc.walk_block(pandoc.Div(body), {
      Para = function(p)
        if #p.content == 1 and p.content[1].t == "Image" and
           p.content[1].title:match("^fig:") then
          return figure_html(p)
        end
      end,
    }).content
  end
  title = pandoc.walk_block(title, { Str = mark_chinese })

  if cfg.target == "epub" then
    body:insert(1, title)
  else
    local t = title.content
    if chap then
      t = pandoc.List({ pandoc.Str("Chapter " .. chap .. ":"), pandoc.Space() }) ..
          title.content
    end
    meta.title = pandoc.MetaInlines(t)
    meta.pagetitle = pandoc.MetaString(stringify(t) .. " · " .. cfg.title)
    local nav = navigation()
    meta["book-sidebar"] = pandoc.MetaBlocks({ pandoc.RawBlock("html", sidebar(headings)) })
    meta["include-before"] = pandoc.MetaBlocks({ pandoc.RawBlock("html", nav) })
    meta["include-after"] = pandoc.MetaBlocks({ pandoc.RawBlock("html", nav) })
  end

  local deps_file = meta_string(meta, "book-deps", nil)
  if deps_file and deps_file ~= "" then
    write_deps(deps_file)
  end
  return pandoc.Pandoc(body, meta)
end
