# Turns the web page's files into a C table (http/web_assets.h) in OUT.
#   ROOT:  the web folder; each asset's path is its path below ROOT ("index.html",
#          "vendor/uPlot.iife.min.js"), served by `qbdb serve` as GET /<path>.
#   FILES: absolute paths of the assets, separated by "|".
# Run as `cmake -DOUT=... -DROOT=... -DFILES=... -P embed_web.cmake` (see CMakeLists.txt).
if(NOT OUT OR NOT ROOT)
  message(FATAL_ERROR "embed_web.cmake: OUT and ROOT are required")
endif()

function(qb_web_type name out)
  string(TOLOWER "${name}" n)
  if(n MATCHES "\\.html?$")
    set(t "text/html; charset=utf-8")
  elseif(n MATCHES "\\.m?js$")
    set(t "text/javascript; charset=utf-8")
  elseif(n MATCHES "\\.css$")
    set(t "text/css; charset=utf-8")
  elseif(n MATCHES "\\.json$")
    set(t "application/json")
  elseif(n MATCHES "\\.svg$")
    set(t "image/svg+xml")
  elseif(n MATCHES "\\.png$")
    set(t "image/png")
  elseif(n MATCHES "\\.ico$")
    set(t "image/x-icon")
  elseif(n MATCHES "\\.woff2$")
    set(t "font/woff2")
  elseif(n MATCHES "\\.(txt|md)$" OR n MATCHES "license")
    set(t "text/plain; charset=utf-8")
  else()
    set(t "application/octet-stream")
  endif()
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

# CMake's regular expressions have no {n}: spell out 24 bytes
string(REPEAT "0x..," 24 qb_web_line)
set(body "/* generated from the web folder by cmake/embed_web.cmake; do not edit */\n")
string(APPEND body "#include <string.h>\n\n#include \"http/web_assets.h\"\n\n")
string(REPLACE "|" ";" FILES "${FILES}")
list(SORT FILES)
set(table "")
set(i 0)
foreach(f ${FILES})
  file(RELATIVE_PATH rel "${ROOT}" "${f}")
  if(rel MATCHES "^\\.\\." OR rel MATCHES "[\"\\\\]")
    message(FATAL_ERROR "embed_web.cmake: ${f} is not a plain path below ${ROOT}")
  endif()
  qb_web_type("${rel}" type)
  file(SIZE "${f}" len)
  file(READ "${f}" hex HEX)
  # 24 bytes a line, each as 0xNN,
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(${qb_web_line})" "\\1\n  " hex "${hex}")
  # one byte more than the file (a NUL, not counted in len) so that an empty file is valid C
  string(APPEND body "static const unsigned char asset_${i}[] = {\n  ${hex}0x00};\n")
  string(APPEND table "    {\"${rel}\", \"${type}\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
if(i EQUAL 0)
  message(FATAL_ERROR "embed_web.cmake: no web assets given")
endif()
string(APPEND body "\nconst qb_web_asset qb_web_assets[] = {\n${table}};\n")
string(APPEND body "const size_t qb_web_n_assets = ${i};\n\n")
string(APPEND body [=[
const qb_web_asset *qb_web_asset_find(const char *path) {
  if (!path) return NULL;
  while (*path == '/') path++;
  if (!*path) path = "index.html";
  for (size_t i = 0; i < qb_web_n_assets; i++)
    if (!strcmp(qb_web_assets[i].path, path)) return &qb_web_assets[i];
  return NULL;
}
]=])
file(WRITE "${OUT}" "${body}")
