--[[
book.lua - the pandoc filter that turns one book page into HTML or into
a part of the EPUB.

It does five things, and stops the build with one line on stderr when
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

     A code block of class `transcript` is real program output, which
     tests/transcripts.py checks against a run of its `cmd` attribute;
     the filter only drops that attribute.

  2. Figures. An image must name a figure rendered from a Graphviz
     source: `figures/NAME.svg` needs `figures/NAME.dot` beside the page
     and the rendered `figures/NAME.svg` in the output directory. Images
     with an id `fig-...` are numbered per chapter ("Figure 1.2"), and a
     link with no text to such an id gets that name as its text.

  3. Links. `page.md` and `page.md#id` must name a page of the book and
     an identifier in it, `#id` an identifier on this page; any other
     relative link is refused (a repository path is quoted as code, not
     linked, so no link can point outside the book).

  4. Numbering. The page's first-level heading is its title; on a
     chapter page (chNN-*.md) second-level headings are numbered N.1,
     N.2, ... and third-level ones N.k.1, ... A link with no text to a
     heading gets "section N.k" as its text.

  5. Target. With book-target=html, `page.md` links become `page.html`
     and a navigation bar is added; with book-target=epub (the page is
     then one part of the EPUB), every identifier is prefixed with the
     page's name so that pages cannot collide, and links follow.

Metadata it reads (given with -M by book/Makefile):
  book-root    the directory include paths are relative to (the repo)
  book-src     the directory holding the pages and figures/
  book-out     the output directory (where rendered figures are)
  book-page    this page's file name, e.g. ch01-vm-entry.md
  book-pages   every page of the book in reading order, space-separated
  book-target  html or epub
  book-deps    a make dependency file to write (optional)
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

local function chapter_number(page)
  local n = page:match("^ch(%d+)%-")
  return n and tonumber(n) or nil
end

local function page_prefix(page)
  return (page:gsub("%.md$", ""))
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

local function excerpt(block)
  local attrs = block.attributes
  local path = attrs["include"]
  local root = cfg.root
  local text = read_file(root .. "/" .. path)
  if not text then
    fail("excerpt: no file %s", path)
  end
  deps[#deps + 1] = root .. "/" .. path
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

  local body = {}
  for i = first, last do
    body[#body + 1] = expand_tabs(lines[i])
  end
  body = dedent(drop_markers(body))
  if #body == 0 then
    fail("excerpt: %s in %s is empty", label, path)
  end

  local classes = {}
  for _, c in ipairs(block.classes) do
    classes[#classes + 1] = c
  end
  local code = pandoc.CodeBlock(table.concat(body, "\n"),
                                pandoc.Attr(block.identifier, classes, {}))
  local caption = pandoc.Plain({ pandoc.Code(path), pandoc.Str(":"),
                                 pandoc.Space(), pandoc.Code(label) })
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
-- links with no text (on a page with no number, the heading's own text).
-- With mark set, the number is also written into each heading.
local function number_sections(blocks, chap, mark)
  local labels = {}
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
      if num and mark then
        b.content:insert(1, pandoc.Span({ pandoc.Str(num) },
                                        pandoc.Attr("", { "section-number" })))
        b.content:insert(2, pandoc.Space())
      end
    end
  end
  return labels
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
  local entry = {
    title = title,
    ids = collect_ids(doc.blocks),
    figs = figure_numbers(doc.blocks, chapter_number(name)),
    sections = number_sections(doc.blocks, chapter_number(name), false),
  }
  page_cache[name] = entry
  return entry
end

---------------------------------------------------------------------------
-- 5. Target-specific rewriting
---------------------------------------------------------------------------

local function prefixed(page, id)
  return page_prefix(page) .. "-" .. id
end

-- The href a checked link becomes. page is nil for a link on this page.
local function target_href(page, id)
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

local function escape_html(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function page_title(name)
  local text = read_file(cfg.src .. "/" .. name)
  if not text then
    fail("book-pages names %s, which does not exist", name)
  end
  local doc = pandoc.read(text, "markdown")
  local chap = chapter_number(name)
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then
      return (chap and ("Chapter " .. chap .. ": ") or "") .. stringify(b.content)
    end
  end
  return name
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
  local sections = number_sections(body, chap, true)

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

  -- 5: the target.
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
    }).content
    title.identifier = page_prefix(cfg.page)
    if chap then
      title.content:insert(1, pandoc.Str("Chapter " .. chap .. ":"))
      title.content:insert(2, pandoc.Space())
    end
    body:insert(1, title)
  else
    local t = title.content
    if chap then
      t = pandoc.List({ pandoc.Str("Chapter " .. chap .. ":"), pandoc.Space() }) ..
          title.content
    end
    meta.title = pandoc.MetaInlines(t)
    local nav = navigation()
    meta["include-before"] = pandoc.MetaBlocks({ pandoc.RawBlock("html", nav) })
    meta["include-after"] = pandoc.MetaBlocks({ pandoc.RawBlock("html", nav) })
  end

  local deps_file = meta_string(meta, "book-deps", nil)
  if deps_file and deps_file ~= "" then
    write_deps(deps_file)
  end
  return pandoc.Pandoc(body, meta)
end
