" syntax/nn.vim - Vim syntax for descent's .nn experiment files (docs/language.md).
"
" The word lists below are the checker's tables (interp/schema.c); tests/test_docs.c
" fails, naming the words, when a table gains a name these lists lack.
" Install: `make install`, or copy syntax/ and ftdetect/ into ~/.vim/.
if exists("b:current_syntax")
  finish
endif

syn keyword nnBlock       let data network train sweep minimize
syn keyword nnKeyword     then for in
syn keyword nnBoolean     true false
syn keyword nnDirection   min max

syn keyword nnLayer       input dense relu tanh sigmoid gelu leaky_relu identity dropout
syn keyword nnLayer       batchnorm softmax flatten conv2d maxpool avgpool global_avgpool
syn keyword nnOptimizer   sgd momentum adagrad rmsprop adam adamw nadam radam lion
syn keyword nnSchedule    constant step multistep exponential inv_time poly linear cosine
syn keyword nnSchedule    cosine_restart triangular one_cycle warmup
syn keyword nnLoss        cross_entropy mse bce mae huber
syn keyword nnSource      idx csv npy spirals blobs xor
syn keyword nnRegularizer l2
syn keyword nnSampler     loguniform uniform choice
syn keyword nnMetric      train_loss train_acc val_loss val_acc test_loss test_acc
syn keyword nnMetric      train_rmse train_mae train_r2 val_rmse val_mae val_r2 test_rmse test_mae test_r2
syn keyword nnFunction    sin cos tan exp log sqrt abs

" A duration: a number, then its unit (`3 epochs`, `100 steps`).
syn match   nnUnit        "\<\(steps\?\|epochs\?\)\>\(\s*[=(]\)\@!"
syn match   nnNumber      "\<\d\+\(\.\(\.\)\@!\d*\)\=\([eE][-+]\=\d\+\)\=\>"
syn match   nnNumber      "\(\.\)\@<!\.\d\+\([eE][-+]\=\d\+\)\=\>"
syn match   nnOperator    "\.\.\|[-+*/^=]"
syn match   nnLabel       "^\s*\h\w*\s*:"me=e-1
syn match   nnEscape      contained "\\[\"\\n]"
syn region  nnString      start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=nnEscape
syn match   nnComment     "#.*$" contains=@Spell

hi def link nnBlock       Statement
hi def link nnKeyword     Keyword
hi def link nnBoolean     Boolean
hi def link nnDirection   Keyword
hi def link nnLayer       Function
hi def link nnOptimizer   Function
hi def link nnSchedule    Function
hi def link nnLoss        Constant
hi def link nnSource      Function
hi def link nnRegularizer Function
hi def link nnSampler     Function
hi def link nnMetric      Constant
hi def link nnFunction    Function
hi def link nnUnit        Type
hi def link nnNumber      Number
hi def link nnOperator    Operator
hi def link nnLabel       Label
hi def link nnEscape      SpecialChar
hi def link nnString      String
hi def link nnComment     Comment

let b:current_syntax = "nn"
